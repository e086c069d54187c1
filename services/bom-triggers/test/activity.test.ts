import type { TestDb } from '@gatehouse/db-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { enqueueWebhook } from '../src/webhooks/index.ts'
import { makeMaterial, makeTask, makeTrigger } from './factories.ts'
import { CRON_SECRET, closeTestApp, openTestApp, Tenant, type TestApp } from './fixtures.ts'

let db: TestDb
let t: TestApp
beforeAll(async () => {
  ;({ db, t } = await openTestApp())
})
afterAll(async () => closeTestApp(t, db))

describe('GET /api/bom-triggers/logs and /stats', () => {
  it('filters by trigger, task, success and time range, and pages with a cursor', async () => {
    const tenant = new Tenant(t.app)
    const started = t.clock()
    const tasks = []
    for (let i = 0; i < 3; i++) {
      tasks.push(await makeTask(tenant, { type: 'LAN' }))
      t.clock.advance(60_000)
    }
    const failing = await makeMaterial(tenant, { sku: 'LOG-FAIL' })
    const fails = await makeTrigger(tenant, {
      triggerEvent: 'ON_MATERIAL_ADD',
      actionType: 'UPDATE_QUANTITY',
      conditions: { all: [{ path: 'material.sku', operator: 'eq', value: 'LOG-FAIL' }] },
      actionConfig: { sku: 'LOG-FAIL', operation: 'add', quantity: '-5' },
    })
    await tenant.post(`/api/tasks/${tasks[0]!.id}/materials`, { materialId: failing.id, quantity: '1' })

    const all = await tenant.get('/api/bom-triggers/logs')
    // 3 tasks x (UTP + cost), then the failing trigger and the cost on the added line.
    expect(all.body.items).toHaveLength(8)
    expect(all.body.nextCursor).toBeNull()
    const seen: string[] = []
    let cursor: string | null = ''
    while (cursor !== null) {
      const page = await tenant.get(`/api/bom-triggers/logs?limit=3${cursor ? `&cursor=${cursor}` : ''}`)
      expect(page.body.items.length).toBeLessThanOrEqual(3)
      seen.push(...page.body.items.map((log: { id: string }) => log.id))
      cursor = page.body.nextCursor
    }
    expect(seen).toEqual(all.body.items.map((log: { id: string }) => log.id))

    const failed = await tenant.get('/api/bom-triggers/logs?success=false')
    expect(failed.body.items).toEqual([
      expect.objectContaining({ triggerId: fails.id, taskId: tasks[0]!.id, success: false }),
    ])
    expect((await tenant.get(`/api/bom-triggers/logs?triggerId=${fails.id}`)).body.items).toHaveLength(1)
    expect((await tenant.get(`/api/bom-triggers/logs?taskId=${tasks[1]!.id}`)).body.items).toHaveLength(2)
    const second = new Date(started.getTime() + 60_000).toISOString()
    const third = new Date(started.getTime() + 120_000).toISOString()
    const window = await tenant.get(`/api/bom-triggers/logs?from=${second}&to=${third}`)
    expect(window.body.items.map((log: { taskId: string }) => log.taskId)).toEqual([
      tasks[2]!.id,
      tasks[2]!.id,
      tasks[1]!.id,
      tasks[1]!.id,
    ])
    expect((await tenant.get('/api/bom-triggers/logs?from=yesterday')).status).toBe(400)

    const stats = await tenant.get('/api/bom-triggers/stats')
    const byName = Object.fromEntries(
      stats.body.items.map(
        (row: { name: string; executions: number; successes: number; failures: number }) => [
          row.name,
          [row.executions, row.successes, row.failures],
        ],
      ),
    )
    expect(byName).toEqual({
      'Calculate costs on material add': [4, 4, 0],
      'Auto-add UTP cable to LAN tasks': [3, 3, 0],
      [fails.name]: [1, 0, 1],
      'Notify on task completion': [0, 0, 0],
    })
    expect(stats.body.items[0].name).toBe('Calculate costs on material add')
    const windowed = await tenant.get(`/api/bom-triggers/stats?from=${third}`)
    expect(
      windowed.body.items.find((row: { name: string }) => row.name === 'Auto-add UTP cable to LAN tasks')
        .executions,
    ).toBe(1)
  })
})

describe('POST /api/admin/cleanup-trigger-logs', () => {
  const cleanup = (query: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: `/api/admin/cleanup-trigger-logs${query}`, headers })

  it('needs the cron secret', async () => {
    expect((await cleanup('')).statusCode).toBe(401)
    const wrong = await cleanup('', { authorization: 'Bearer not-the-secret' })
    expect(wrong.statusCode).toBe(401)
    expect(wrong.json().code).toBe('BOM_TRIGGERS_CRON_SECRET_REQUIRED')
  })

  it('removes logs older than the given days (90 by default) and finished deliveries, answering the counts', async () => {
    const tenant = new Tenant(t.app)
    await makeTask(tenant, { type: 'LAN' })
    await db.raw.query(
      "update bom_trigger_logs set executed_at = now() - interval '40 days' where tenant_id = $1",
      [tenant.id],
    )
    const auth = { authorization: `Bearer ${CRON_SECRET}` }
    const kept = await cleanup('', auth)
    expect(kept.statusCode).toBe(200)
    expect(kept.json()).toMatchObject({ success: true, days: 90, deletedCount: 0 })
    const now = t.clock()
    await enqueueWebhook(
      db.db,
      { tenantId: tenant.id, endpointKey: 'k', url: 'https://example.com/h', eventType: 'x', data: {} },
      { now: new Date(now.getTime() - 31 * 86_400_000) },
    )
    await enqueueWebhook(
      db.db,
      { tenantId: tenant.id, endpointKey: 'k', url: 'https://example.com/h', eventType: 'x', data: {} },
      { now },
    )
    await db.raw.query("update webhook_outbox set status = 'delivered' where tenant_id = $1", [tenant.id])
    const removed = await cleanup('?days=30', auth)
    expect(removed.json()).toMatchObject({ success: true, days: 30, deletedCount: 2, deletedDeliveries: 1 })
    expect((await tenant.get('/api/bom-triggers/logs')).body.items).toEqual([])
    expect((await cleanup('?days=-1', auth)).statusCode).toBe(400)
  })
})
