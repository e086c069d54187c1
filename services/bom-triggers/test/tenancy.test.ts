import type { TestDb } from '@gatehouse/db-kit/testing'
import { openPoolConnections } from '@gatehouse/db-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeMaterial, makeTask, makeTrigger } from './factories.ts'
import { closeTestApp, openTestApp, startTestApp, Tenant, type TestApp } from './fixtures.ts'
import { WebhookReceiver } from './webhook-receiver.ts'

let db: TestDb
let t: TestApp
let receiver: WebhookReceiver
beforeAll(async () => {
  ;({ db, t } = await openTestApp())
  receiver = await WebhookReceiver.start()
})
afterAll(async () => {
  await receiver?.close()
  await closeTestApp(t, db)
})

describe('tenant isolation', () => {
  it("tenant B can neither read, change nor test tenant A's tasks, materials, triggers, logs or deliveries", async () => {
    const a = new Tenant(t.app)
    const b = new Tenant(t.app)
    const material = await makeMaterial(a, { sku: 'A-ONLY' })
    const task = await makeTask(a, { type: 'LAN' })
    await a.post(`/api/tasks/${task.id}/materials`, { materialId: material.id, quantity: '2' })
    const trigger = await makeTrigger(a, {
      triggerEvent: 'ON_TASK_COMPLETE',
      actionType: 'NOTIFY',
      actionConfig: { url: receiver.url },
    })
    const done = await makeTask(a)
    await a.post(`/api/tasks/${done.id}/complete`)
    const before = {
      task: (await a.get(`/api/tasks/${task.id}`)).body,
      trigger: (await a.get(`/api/bom-triggers/${trigger.id}`)).body,
      material: (await a.get(`/api/materials/${material.id}`)).body,
      logs: (await a.get('/api/bom-triggers/logs')).body,
    }
    expect(before.logs.items.length).toBeGreaterThan(0)

    const denied: [string, Promise<{ status: number }>][] = [
      ['get task', b.get(`/api/tasks/${task.id}`)],
      ['status', b.patch(`/api/tasks/${task.id}/status`, { status: 'IN_PROGRESS' })],
      ['complete', b.post(`/api/tasks/${task.id}/complete`)],
      ['add line', b.post(`/api/tasks/${task.id}/materials`, { sku: 'UTP-CAT6', quantity: '1' })],
      ['change line', b.patch(`/api/tasks/${task.id}/materials/${material.id}`, { quantity: '9' })],
      ['remove line', b.delete(`/api/tasks/${task.id}/materials/${material.id}`)],
      ['get material', b.get(`/api/materials/${material.id}`)],
      ['change material', b.patch(`/api/materials/${material.id}`, { unitCost: '99' })],
      ['delete material', b.delete(`/api/materials/${material.id}`)],
      ['get trigger', b.get(`/api/bom-triggers/${trigger.id}`)],
      ['change trigger', b.patch(`/api/bom-triggers/${trigger.id}`, { priority: 99 })],
      ['deactivate', b.post(`/api/bom-triggers/${trigger.id}/deactivate`)],
      ['activate', b.post(`/api/bom-triggers/${trigger.id}/activate`)],
      ['delete trigger', b.delete(`/api/bom-triggers/${trigger.id}`)],
      ['test trigger', b.post(`/api/bom-triggers/${trigger.id}/test`, {})],
      ['webhook secret', b.get(`/api/bom-triggers/${trigger.id}/webhook-secret`)],
    ]
    for (const [what, answer] of denied) expect([what, (await answer).status]).toEqual([what, 404])

    // A's ids do not work inside B's own resources either.
    const own = await makeTask(b)
    const foreignMaterial = await b.post(`/api/tasks/${own.id}/materials`, {
      materialId: material.id,
      quantity: '1',
    })
    expect(foreignMaterial.body.code).toBe('BOM_TRIGGERS_MATERIAL_NOT_FOUND')
    const foreignTaskTest = await b.post(
      `/api/bom-triggers/${(await b.get('/api/bom-triggers')).body.items[0].id}/test`,
      { taskId: task.id },
    )
    expect(foreignTaskTest.status).toBe(404)
    const foreignSku = await b.post('/api/bom-triggers', {
      name: 'x',
      triggerEvent: 'ON_TASK_CREATE',
      actionType: 'ADD_MATERIAL',
      actionConfig: { sku: 'A-ONLY', quantity: '1' },
    })
    expect(foreignSku.body.errors).toEqual([
      { path: '/actionConfig/sku', message: 'no material with SKU A-ONLY in the catalogue' },
    ])

    const lists = {
      tasks: (await b.get('/api/tasks')).body.items.map((row: { id: string }) => row.id),
      materials: (await b.get('/api/materials')).body.items.map((row: { sku: string }) => row.sku),
      triggers: (await b.get('/api/bom-triggers')).body.items.map((row: { id: string }) => row.id),
      logsOfA: (await b.get(`/api/bom-triggers/logs?triggerId=${trigger.id}`)).body.items,
      logsForTask: (await b.get(`/api/bom-triggers/logs?taskId=${task.id}`)).body.items,
      stats: (await b.get('/api/bom-triggers/stats')).body.items.map(
        (row: { triggerId: string }) => row.triggerId,
      ),
      deliveries: (await b.get('/api/bom-triggers/deliveries')).body.items,
    }
    expect(lists.tasks).toEqual([own.id])
    expect(lists.materials).toEqual(['UTP-CAT6'])
    expect(lists.triggers).not.toContain(trigger.id)
    expect(lists.logsOfA).toEqual([])
    expect(lists.logsForTask).toEqual([])
    expect(lists.stats).not.toContain(trigger.id)
    expect(lists.deliveries).toEqual([])
    expect((await a.get('/api/bom-triggers/deliveries')).body.items).toHaveLength(1)

    expect((await a.get(`/api/tasks/${task.id}`)).body).toEqual(before.task)
    expect((await a.get(`/api/bom-triggers/${trigger.id}`)).body).toEqual(before.trigger)
    expect((await a.get(`/api/materials/${material.id}`)).body).toEqual(before.material)
  })

  it('the same SKU may exist in two catalogues, and each tenant edits only its own copy of the seed', async () => {
    const a = new Tenant(t.app)
    const b = new Tenant(t.app)
    await makeMaterial(a, { sku: 'SHARED-SKU' })
    await makeMaterial(b, { sku: 'SHARED-SKU' })
    const cable = (await a.get('/api/materials?search=UTP')).body.items[0]
    await a.patch(`/api/materials/${cable.id}`, { unitCost: '1.0000' })
    expect((await makeTask(a, { type: 'LAN' })).cost?.total).toBe('50.0000')
    expect((await makeTask(b, { type: 'LAN' })).cost?.total).toBe('22.5000')
  })
})

describe.runIf(process.env.TEST_DATABASE_URL)('first contact on PostgreSQL', () => {
  it('concurrent first calls of a new tenant on two replicas copy the templates exactly once', async () => {
    // Two apps on one database stand for two replicas: each has its own in-memory "already set up" cache.
    const replica = await startTestApp(db)
    const tenantId = new Tenant(t.app).id
    const callers = [new Tenant(t.app, tenantId), new Tenant(replica.app, tenantId)]
    await openPoolConnections(db, 5)
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => callers[i % 2]!.get('/api/bom-triggers')),
    ).finally(() => replica.app.close())
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(200))
    const rows = await db.raw.query<{ triggers: number; materials: number }>(
      'select (select count(*)::int from bom_triggers where tenant_id = $1) as triggers, (select count(*)::int from materials where tenant_id = $1) as materials',
      [tenantId],
    )
    expect(rows[0]).toEqual({ triggers: 3, materials: 1 })
  })
})
