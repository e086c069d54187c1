import type { TestDb } from '@gatehouse/db-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeMaterial, makeTask, makeTrigger } from './factories.ts'
import { closeTestApp, openTestApp, Tenant, type TestApp } from './fixtures.ts'

let db: TestDb
let t: TestApp
beforeAll(async () => {
  ;({ db, t } = await openTestApp())
})
afterAll(async () => closeTestApp(t, db))

describe('/api/materials: the catalogue', () => {
  it('creates, lists, searches, pages, updates and deletes, with costs as exact strings', async () => {
    const tenant = new Tenant(t.app)
    const created = await tenant.post('/api/materials', {
      sku: 'PATCH-1M',
      name: 'Patch cord 1 m',
      unit: 'pcs',
      unitCost: '1.99',
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ sku: 'PATCH-1M', unitCost: '1.9900' })
    await makeMaterial(tenant, { sku: 'PATCH-2M', name: 'Patch cord 2 m' })
    await makeMaterial(tenant, { sku: 'RACK-19', name: 'Rack' })
    const search = await tenant.get('/api/materials?search=patch')
    expect(search.body.items.map((m: { sku: string }) => m.sku)).toEqual(['PATCH-1M', 'PATCH-2M'])
    const first = await tenant.get('/api/materials?limit=2')
    const second = await tenant.get(`/api/materials?limit=2&cursor=${first.body.nextCursor}`)
    expect([...first.body.items, ...second.body.items].map((m: { sku: string }) => m.sku)).toEqual([
      'PATCH-1M',
      'PATCH-2M',
      'RACK-19',
      'UTP-CAT6',
    ])
    const updated = await tenant.patch(`/api/materials/${created.body.id}`, {
      unitCost: '2.0500',
      name: 'Patch cord',
    })
    expect(updated.body).toMatchObject({ unitCost: '2.0500', name: 'Patch cord', sku: 'PATCH-1M' })
    expect((await tenant.patch(`/api/materials/${created.body.id}`, { sku: 'RENAMED' })).status).toBe(400)
    expect((await tenant.delete(`/api/materials/${created.body.id}`)).status).toBe(204)
    expect((await tenant.get(`/api/materials/${created.body.id}`)).body.code).toBe(
      'BOM_TRIGGERS_MATERIAL_NOT_FOUND',
    )
  })

  it('refuses duplicate SKUs, float-looking costs and negative costs', async () => {
    const tenant = new Tenant(t.app)
    const duplicate = await tenant.post('/api/materials', {
      sku: 'UTP-CAT6',
      name: 'Again',
      unit: 'm',
      unitCost: '1',
    })
    expect(duplicate.status).toBe(409)
    expect(duplicate.body.code).toBe('BOM_TRIGGERS_MATERIAL_SKU_TAKEN')
    for (const unitCost of ['-1', '1e2', '0.12345', 'abc']) {
      const answer = await tenant.post('/api/materials', { sku: 'X-1', name: 'x', unit: 'm', unitCost })
      expect([unitCost, answer.status, answer.body.errors?.[0]?.path]).toEqual([
        unitCost,
        400,
        '/body/unitCost',
      ])
    }
  })

  it('keeps materials that a BOM holds or a trigger names', async () => {
    const tenant = new Tenant(t.app)
    const task = await makeTask(tenant, { type: 'LAN' })
    const cable = task.materials[0]!
    const inBom = await tenant.delete(`/api/materials/${cable.materialId}`)
    expect(inBom.status).toBe(409)
    expect(inBom.body).toMatchObject({ code: 'BOM_TRIGGERS_MATERIAL_IN_USE', taskId: task.id })
    const named = await makeMaterial(tenant, { sku: 'NAMED-1' })
    const trigger = await makeTrigger(tenant, {
      triggerEvent: 'ON_TASK_CREATE',
      actionType: 'REMOVE_MATERIAL',
      actionConfig: { sku: 'NAMED-1' },
    })
    const byTrigger = await tenant.delete(`/api/materials/${named.id}`)
    expect(byTrigger.status).toBe(409)
    expect(byTrigger.body.triggerIds).toEqual([trigger.id])
  })
})
