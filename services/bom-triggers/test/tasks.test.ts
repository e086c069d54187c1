import type { TestDb } from '@gatehouse/db-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeMaterial, makeTask } from './factories.ts'
import { closeTestApp, openTestApp, Tenant, type TestApp } from './fixtures.ts'

let db: TestDb
let t: TestApp
beforeAll(async () => {
  ;({ db, t } = await openTestApp())
})
afterAll(async () => closeTestApp(t, db))

describe('tasks and bills of materials, with the seed triggers a tenant gets without setup', () => {
  it('gives a new LAN task the UTP cable and costs it (ON_TASK_CREATE -> ADD_MATERIAL -> ON_MATERIAL_ADD -> CALCULATE_COST)', async () => {
    const tenant = new Tenant(t.app)
    const task = await makeTask(tenant, { title: 'Office LAN', type: 'LAN' })
    expect(task.materials).toEqual([
      expect.objectContaining({
        sku: 'UTP-CAT6',
        quantity: '50.0000',
        unitCost: '0.4500',
        lineTotal: '22.5000',
      }),
    ])
    expect(task.cost).toMatchObject({
      materialsTotal: '22.5000',
      total: '22.5000',
      itemCount: 1,
      stale: false,
    })
    expect(task.triggerRuns).toEqual([
      expect.objectContaining({
        name: 'Auto-add UTP cable to LAN tasks',
        event: 'ON_TASK_CREATE',
        depth: 0,
        outcome: 'succeeded',
      }),
      expect.objectContaining({
        name: 'Calculate costs on material add',
        event: 'ON_MATERIAL_ADD',
        depth: 1,
        outcome: 'succeeded',
      }),
    ])
    const fetched = await tenant.get(`/api/tasks/${task.id}`)
    expect(fetched.status).toBe(200)
    expect(fetched.body.materials).toHaveLength(1)
    expect(fetched.body.cost.total).toBe('22.5000')
  })

  it('leaves other task types alone', async () => {
    const task = await makeTask(new Tenant(t.app), { type: 'ELECTRICAL' })
    expect(task.materials).toEqual([])
    expect(task.cost).toBeNull()
    expect(task.triggerRuns).toEqual([])
  })

  it('recalculates the cost when material is added, in exact decimals', async () => {
    const tenant = new Tenant(t.app)
    const task = await makeTask(tenant, { type: 'LAN' })
    const jack = await makeMaterial(tenant, { sku: 'RJ45-JACK', unitCost: '0.1000' })
    const added = await tenant.post(`/api/tasks/${task.id}/materials`, { materialId: jack.id, quantity: '3' })
    expect(added.status).toBe(201)
    // 50 * 0.45 + 3 * 0.1 = 22.8 exactly (0.1 * 3 in floats is 0.30000000000000004).
    expect(added.body.cost).toMatchObject({ materialsTotal: '22.8000', itemCount: 2, stale: false })
    expect(added.body.triggerRuns.map((run: { name: string }) => run.name)).toEqual([
      'Calculate costs on material add',
    ])
  })

  it('adds by SKU, changes quantities and removes lines; the cost is marked stale when no trigger recomputes it', async () => {
    const tenant = new Tenant(t.app)
    const task = await makeTask(tenant, { type: 'LAN' })
    const cable = task.materials[0]!
    const changed = await tenant.patch(`/api/tasks/${task.id}/materials/${cable.materialId}`, {
      quantity: '75.5',
    })
    expect(changed.status).toBe(200)
    expect(changed.body.materials[0]).toMatchObject({ quantity: '75.5000', lineTotal: '33.9750' })
    expect(changed.body.cost).toMatchObject({ total: '22.5000', stale: true })
    const removed = await tenant.delete(`/api/tasks/${task.id}/materials/${cable.materialId}`)
    expect(removed.status).toBe(200)
    expect(removed.body.materials).toEqual([])
    const again = await tenant.post(`/api/tasks/${task.id}/materials`, {
      sku: 'UTP-CAT6',
      quantity: '10',
      unitCost: '0.5',
    })
    expect(again.status).toBe(201)
    expect(again.body.materials[0]).toMatchObject({
      sku: 'UTP-CAT6',
      unitCost: '0.5000',
      lineTotal: '5.0000',
    })
    expect(again.body.cost).toMatchObject({ total: '5.0000', stale: false })
  })

  it('refuses a duplicate line, an unknown material and zero quantities with clear codes', async () => {
    const tenant = new Tenant(t.app)
    const task = await makeTask(tenant, { type: 'LAN' })
    const duplicate = await tenant.post(`/api/tasks/${task.id}/materials`, { sku: 'UTP-CAT6', quantity: '1' })
    expect(duplicate.status).toBe(409)
    expect(duplicate.body.code).toBe('BOM_TRIGGERS_MATERIAL_ALREADY_ON_TASK')
    const unknown = await tenant.post(`/api/tasks/${task.id}/materials`, { sku: 'NOPE', quantity: '1' })
    expect(unknown.status).toBe(404)
    expect(unknown.body.code).toBe('BOM_TRIGGERS_MATERIAL_NOT_FOUND')
    const zero = await tenant.post(`/api/tasks/${task.id}/materials`, { sku: 'UTP-CAT6', quantity: '0.0000' })
    expect(zero.status).toBe(400)
    expect(zero.body.errors).toEqual([{ path: '/body/quantity', message: 'must be above 0' }])
    const both = await tenant.post(`/api/tasks/${task.id}/materials`, { quantity: '1' })
    expect(both.status).toBe(400)
    expect(both.body.errors[0].path).toBe('/body/materialId')
    const float = await tenant.post(`/api/tasks/${task.id}/materials`, { sku: 'UTP-CAT6', quantity: '1e3' })
    expect(float.status).toBe(400)
    expect(float.body.code).toBe('BOM_TRIGGERS_VALIDATION_FAILED')
    const notOnTask = await tenant.patch(`/api/tasks/${task.id}/materials/${task.id}`, { quantity: '2' })
    expect(notOnTask.status).toBe(404)
    expect(notOnTask.body.code).toBe('BOM_TRIGGERS_MATERIAL_NOT_ON_TASK')
  })

  it('moves status, completes once, and keeps a closed task closed', async () => {
    const tenant = new Tenant(t.app)
    const task = await makeTask(tenant)
    const started = await tenant.patch(`/api/tasks/${task.id}/status`, { status: 'IN_PROGRESS' })
    expect(started.status).toBe(200)
    expect(started.body).toMatchObject({ status: 'IN_PROGRESS', completedAt: null })
    const completed = await tenant.post(`/api/tasks/${task.id}/complete`)
    expect(completed.status).toBe(200)
    expect(completed.body.status).toBe('COMPLETED')
    expect(completed.body.completedAt).toBe(t.clock().toISOString())
    expect(completed.body.triggerRuns).toEqual([
      expect.objectContaining({
        name: 'Notify on task completion',
        event: 'ON_TASK_COMPLETE',
        outcome: 'succeeded',
      }),
    ])
    const repeated = await tenant.post(`/api/tasks/${task.id}/complete`)
    expect(repeated.status).toBe(200)
    expect(repeated.body.triggerRuns).toEqual([])
    const reopened = await tenant.patch(`/api/tasks/${task.id}/status`, { status: 'IN_PROGRESS' })
    expect(reopened.status).toBe(409)
    expect(reopened.body.code).toBe('BOM_TRIGGERS_TASK_CLOSED')
    const addToClosed = await tenant.post(`/api/tasks/${task.id}/materials`, {
      sku: 'UTP-CAT6',
      quantity: '1',
    })
    expect(addToClosed.status).toBe(409)
  })

  it('lists tasks newest first with filters and a cursor', async () => {
    const tenant = new Tenant(t.app)
    const ids: string[] = []
    for (let i = 0; i < 5; i++) {
      ids.push((await makeTask(tenant, { title: `Task ${i}`, type: i % 2 ? 'LAN' : 'GENERAL' })).id)
      t.clock.advance(1)
    }
    const first = await tenant.get('/api/tasks?limit=2')
    expect(first.status).toBe(200)
    expect(first.body.items.map((task: { id: string }) => task.id)).toEqual([ids[4], ids[3]])
    const second = await tenant.get(`/api/tasks?limit=2&cursor=${first.body.nextCursor}`)
    const third = await tenant.get(`/api/tasks?limit=2&cursor=${second.body.nextCursor}`)
    expect([...second.body.items, ...third.body.items].map((task: { id: string }) => task.id)).toEqual([
      ids[2],
      ids[1],
      ids[0],
    ])
    expect(third.body.nextCursor).toBeNull()
    const lan = await tenant.get('/api/tasks?type=LAN')
    expect(lan.body.items.map((task: { id: string }) => task.id)).toEqual([ids[3], ids[1]])
    const bad = await tenant.get('/api/tasks?cursor=not-a-cursor')
    expect(bad.status).toBe(400)
    expect(bad.body.code).toBe('BOM_TRIGGERS_INVALID_CURSOR')
  })

  it('answers bad input with problem+json 4xx, never a 500', async () => {
    const tenant = new Tenant(t.app)
    for (const [method, url, payload] of [
      ['POST', '/api/tasks', { title: '', type: 'LAN' }],
      ['POST', '/api/tasks', { title: 'x', type: 'lan' }],
      ['POST', '/api/tasks', { title: 'x', type: 'LAN', status: 'DONE' }],
      ['GET', '/api/tasks/not-a-uuid', undefined],
      ['GET', '/api/tasks/00000000-0000-4000-8000-000000000000', undefined],
      ['PATCH', '/api/tasks/00000000-0000-4000-8000-000000000000/status', { status: 'COMPLETED' }],
    ] as const) {
      const answer = await tenant.call(method, url, payload)
      expect([url, answer.status >= 400 && answer.status < 500]).toEqual([url, true])
      expect(answer.headers['content-type']).toContain('application/problem+json')
      expect(answer.body.code).toMatch(/^BOM_TRIGGERS_/)
    }
  })

  it('refuses callers without the gateway context', async () => {
    const answer = await t.app.inject({ method: 'GET', url: '/api/tasks' })
    expect(answer.statusCode).toBe(401)
    expect(answer.json().code).toBe('BOM_TRIGGERS_CALLER_REQUIRED')
    const forged = await t.app.inject({
      method: 'GET',
      url: '/api/tasks',
      headers: { 'x-gatehouse-context': 'forged' },
    })
    expect(forged.statusCode).toBe(401)
  })
})
