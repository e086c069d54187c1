import type { TestDb } from '@gatehouse/db-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { disableSeededTriggers, makeMaterial, makeTask, makeTrigger } from './factories.ts'
import { closeTestApp, openTestApp, Tenant, type TestApp } from './fixtures.ts'

let db: TestDb
let t: TestApp
beforeAll(async () => {
  ;({ db, t } = await openTestApp({ env: { TRIGGERS_PER_TENANT_MAX: '8' } }))
})
afterAll(async () => closeTestApp(t, db))

const lanCondition = { all: [{ path: 'task.type', operator: 'eq', value: 'LAN' }] }

describe('trigger definitions', () => {
  it('every tenant starts with its own copy of the seed triggers', async () => {
    const tenant = new Tenant(t.app)
    const { status, body } = await tenant.get('/api/bom-triggers')
    expect(status).toBe(200)
    expect(
      body.items.map(
        (trigger: { name: string; triggerEvent: string; actionType: string; isActive: boolean }) => [
          trigger.name,
          trigger.triggerEvent,
          trigger.actionType,
          trigger.isActive,
        ],
      ),
    ).toEqual(
      [
        ['Auto-add UTP cable to LAN tasks', 'ON_TASK_CREATE', 'ADD_MATERIAL', true],
        ['Notify on task completion', 'ON_TASK_COMPLETE', 'NOTIFY', true],
        ['Calculate costs on material add', 'ON_MATERIAL_ADD', 'CALCULATE_COST', true],
      ].sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
    )
    const materials = await tenant.get('/api/materials')
    expect(materials.body.items).toEqual([
      expect.objectContaining({ sku: 'UTP-CAT6', unitCost: '0.4500', unit: 'm' }),
    ])
  })

  it('creates, reads, filters, updates, deactivates, activates and deletes', async () => {
    const tenant = new Tenant(t.app)
    const created = await tenant.post('/api/bom-triggers', {
      name: 'Extra cable for big LANs',
      description: 'More cable when the title says campus',
      triggerEvent: 'ON_TASK_CREATE',
      actionType: 'ADD_MATERIAL',
      conditions: {
        all: [
          { path: 'task.type', operator: 'eq', value: 'LAN' },
          { path: 'task.title', operator: 'contains', value: 'campus' },
        ],
      },
      actionConfig: { sku: 'UTP-CAT6', quantity: '500' },
      priority: 5,
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ isActive: true, abortOnError: false, version: 1, priority: 5 })
    const id = created.body.id as string
    expect((await tenant.get(`/api/bom-triggers/${id}`)).body.name).toBe('Extra cable for big LANs')
    const filtered = await tenant.get(
      '/api/bom-triggers?triggerEvent=ON_TASK_CREATE&actionType=ADD_MATERIAL&search=big',
    )
    expect(filtered.body.items.map((trigger: { id: string }) => trigger.id)).toEqual([id])
    const updated = await tenant.patch(`/api/bom-triggers/${id}`, {
      priority: 20,
      actionConfig: { sku: 'UTP-CAT6', quantity: '750' },
    })
    expect(updated.status).toBe(200)
    expect(updated.body).toMatchObject({ priority: 20, version: 2, actionConfig: { quantity: '750' } })
    const off = await tenant.post(`/api/bom-triggers/${id}/deactivate`)
    expect(off.body.isActive).toBe(false)
    expect(
      (await tenant.get('/api/bom-triggers?isActive=false')).body.items.map(
        (trigger: { id: string }) => trigger.id,
      ),
    ).toEqual([id])
    expect((await tenant.post(`/api/bom-triggers/${id}/activate`)).body.isActive).toBe(true)
    expect((await tenant.delete(`/api/bom-triggers/${id}`)).status).toBe(204)
    expect((await tenant.get(`/api/bom-triggers/${id}`)).status).toBe(404)
    expect((await tenant.delete(`/api/bom-triggers/${id}`)).body.code).toBe('BOM_TRIGGERS_TRIGGER_NOT_FOUND')
  })

  it('rejects invalid conditions with the path of each problem', async () => {
    const tenant = new Tenant(t.app)
    const answer = await tenant.post('/api/bom-triggers', {
      name: 'Broken',
      triggerEvent: 'ON_TASK_CREATE',
      actionType: 'CALCULATE_COST',
      conditions: {
        all: [
          { path: 'task.type', operator: 'eq', value: 'LAN' },
          { path: 'task.type', operator: 'greaterThan', value: 'LAN' },
          {
            any: [
              { path: 'quantity.new', operator: 'gt', value: '5' },
              { path: 'task.nope', operator: 'eq', value: 'x' },
            ],
          },
          { not: { path: 'task.title', operator: 'gt', value: 'x' } },
          { path: 'task.status', operator: 'in', value: ['PENDING', 'DONE'] },
          { path: 'task.type', operator: 'eq', value: 'LAN', extra: true },
        ],
      },
    })
    expect(answer.status).toBe(400)
    expect(answer.headers['content-type']).toContain('application/problem+json')
    expect(answer.body.code).toBe('BOM_TRIGGERS_INVALID_CONDITIONS')
    expect(answer.body.errors.map((error: { path: string }) => error.path)).toEqual([
      '/conditions/all/1/operator',
      '/conditions/all/2/any/0/path',
      '/conditions/all/2/any/1/path',
      '/conditions/all/3/not/operator',
      '/conditions/all/4/value/1',
      '/conditions/all/5/extra',
    ])
    expect(answer.body.errors[1].message).toContain('ON_TASK_CREATE')
  })

  it('rejects an action config that does not fit its action type, with paths', async () => {
    const tenant = new Tenant(t.app)
    const cases: [string, unknown, string[]][] = [
      ['ADD_MATERIAL', { sku: 'UTP-CAT6' }, ['/actionConfig/quantity']],
      ['ADD_MATERIAL', { sku: 'UTP-CAT6', quantity: 5 }, ['/actionConfig/quantity']],
      ['ADD_MATERIAL', { sku: 'UTP-CAT6', quantity: '0' }, ['/actionConfig/quantity']],
      ['ADD_MATERIAL', { sku: 'NOT-IN-CATALOGUE', quantity: '1' }, ['/actionConfig/sku']],
      ['ADD_MATERIAL', { sku: 'UTP-CAT6', quantity: '1', qty: '2' }, ['/actionConfig/qty']],
      [
        'UPDATE_QUANTITY',
        { sku: 'UTP-CAT6', operation: 'multiply', quantity: '2' },
        ['/actionConfig/operation'],
      ],
      ['UPDATE_QUANTITY', { sku: 'UTP-CAT6', operation: 'set', quantity: '-2' }, ['/actionConfig/quantity']],
      ['NOTIFY', { url: 'ftp://example.com/hook' }, ['/actionConfig/url']],
      ['NOTIFY', { url: 'https://user:pw@example.com/hook' }, ['/actionConfig/url']],
      ['CALCULATE_COST', { markupPercent: '-5' }, ['/actionConfig/markupPercent']],
      ['CALCULATE_COST', 'not an object', ['/actionConfig']],
    ]
    for (const [actionType, actionConfig, paths] of cases) {
      const answer = await tenant.post('/api/bom-triggers', {
        name: 'Bad config',
        triggerEvent: 'ON_TASK_CREATE',
        actionType,
        actionConfig,
      })
      expect([actionType, actionConfig, answer.status, answer.body.code]).toEqual([
        actionType,
        actionConfig,
        400,
        'BOM_TRIGGERS_INVALID_ACTION_CONFIG',
      ])
      expect(answer.body.errors.map((error: { path: string }) => error.path)).toEqual(paths)
    }
    const unknownType = await tenant.post('/api/bom-triggers', {
      name: 'x',
      triggerEvent: 'ON_TASK_CREATE',
      actionType: 'EXPLODE',
    })
    expect(unknownType.status).toBe(400)
    expect(unknownType.body.errors[0].path).toBe('/body/actionType')
  })

  it('re-checks stored conditions when an update changes the event', async () => {
    const tenant = new Tenant(t.app)
    const trigger = await makeTrigger(tenant, {
      triggerEvent: 'ON_QUANTITY_CHANGE',
      actionType: 'CALCULATE_COST',
      conditions: { all: [{ path: 'quantity.old', operator: 'lt', value: '10' }] },
    })
    const moved = await tenant.patch(`/api/bom-triggers/${trigger.id}`, { triggerEvent: 'ON_TASK_CREATE' })
    expect(moved.status).toBe(400)
    expect(moved.body.errors).toEqual([
      { path: '/conditions/all/0/path', message: expect.stringContaining('ON_QUANTITY_CHANGE') },
    ])
    expect((await tenant.get(`/api/bom-triggers/${trigger.id}`)).body.triggerEvent).toBe('ON_QUANTITY_CHANGE')
  })

  it('refuses webhook URLs to loopback, link-local and private addresses unless allowed', async () => {
    const strict = await openTestApp({ env: { WEBHOOK_ALLOW_PRIVATE_URLS: 'false' } })
    try {
      const tenant = new Tenant(strict.t.app)
      for (const url of [
        'http://127.0.0.1:8080/hook',
        'http://localhost/hook',
        'http://api.localhost/hook',
        'http://[::1]/hook',
        'http://169.254.169.254/latest/meta-data',
        'http://10.1.2.3/hook',
        'http://192.168.1.10/hook',
        'http://172.20.0.1/hook',
        'http://[fd00::1]/hook',
        'http://[::ffff:127.0.0.1]/hook',
        'http://2130706433/hook',
      ]) {
        const answer = await tenant.post('/api/bom-triggers', {
          name: 'SSRF',
          triggerEvent: 'ON_TASK_COMPLETE',
          actionType: 'NOTIFY',
          actionConfig: { url },
        })
        expect([url, answer.status, answer.body.errors?.[0]?.path]).toEqual([url, 400, '/actionConfig/url'])
      }
      const publicUrl = await tenant.post('/api/bom-triggers', {
        name: 'Public',
        triggerEvent: 'ON_TASK_COMPLETE',
        actionType: 'NOTIFY',
        actionConfig: { url: 'https://hooks.example.com/bom' },
      })
      expect(publicUrl.status).toBe(201)
    } finally {
      await closeTestApp(strict.t, strict.db)
    }
  })

  it('caps the number of triggers per tenant', async () => {
    const tenant = new Tenant(t.app)
    await tenant.get('/api/bom-triggers')
    for (let i = 3; i < 8; i++)
      await makeTrigger(tenant, { triggerEvent: 'ON_TASK_CREATE', actionType: 'CALCULATE_COST' })
    const over = await tenant.post('/api/bom-triggers', {
      name: 'One too many',
      triggerEvent: 'ON_TASK_CREATE',
      actionType: 'CALCULATE_COST',
    })
    expect(over.status).toBe(409)
    expect(over.body.code).toBe('BOM_TRIGGERS_TRIGGER_LIMIT_REACHED')
  })
})

describe('execution order', () => {
  it('runs matching triggers by priority, highest first, ties in creation order, each logged', async () => {
    const tenant = new Tenant(t.app)
    await disableSeededTriggers(tenant)
    const materials = await Promise.all(
      ['A', 'B', 'C', 'D'].map((letter) => makeMaterial(tenant, { sku: `ORDER-${letter}` })),
    )
    const make = async (sku: string, priority: number) => {
      const trigger = await makeTrigger(tenant, {
        name: `add ${sku}`,
        triggerEvent: 'ON_TASK_CREATE',
        actionType: 'ADD_MATERIAL',
        conditions: lanCondition,
        actionConfig: { sku, quantity: '1' },
        priority,
      })
      t.clock.advance(1)
      return trigger
    }
    const [a, b, c, d] = materials
    await make(a!.sku, 1)
    await make(b!.sku, 7)
    await make(c!.sku, 7)
    await make(d!.sku, -3)
    await makeTrigger(tenant, {
      name: 'never',
      triggerEvent: 'ON_TASK_CREATE',
      actionType: 'ADD_MATERIAL',
      conditions: { all: [{ path: 'task.type', operator: 'eq', value: 'FIBER' }] },
      actionConfig: { sku: a!.sku, quantity: '9' },
      priority: 100,
    })
    const task = await makeTask(tenant, { type: 'LAN' })
    expect(task.triggerRuns.map((run) => run.name)).toEqual([
      `add ${b!.sku}`,
      `add ${c!.sku}`,
      `add ${a!.sku}`,
      `add ${d!.sku}`,
    ])
    const logs = await tenant.get(`/api/bom-triggers/logs?taskId=${task.id}`)
    expect(logs.body.items.map((log: { triggerName: string }) => log.triggerName).reverse()).toEqual(
      task.triggerRuns.map((run) => run.name),
    )
    expect(logs.body.items[0]).toMatchObject({
      success: true,
      outcome: 'succeeded',
      event: 'ON_TASK_CREATE',
      depth: 0,
    })
    expect(logs.body.items[0].inputData.task).toMatchObject({ id: task.id, type: 'LAN' })
    expect(logs.body.items[0].outputData.added).toMatchObject({ sku: d!.sku, quantity: '1' })
  })

  it('runs nothing for an inactive trigger', async () => {
    const tenant = new Tenant(t.app)
    const { body } = await tenant.get('/api/bom-triggers?actionType=ADD_MATERIAL')
    await tenant.post(`/api/bom-triggers/${body.items[0].id}/deactivate`)
    const task = await makeTask(tenant, { type: 'LAN' })
    expect(task.materials).toEqual([])
    expect(task.triggerRuns).toEqual([])
  })
})
