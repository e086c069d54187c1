import type { TestDb } from '@gatehouse/db-kit/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { makeMaterial, makeTask, makeTrigger } from './factories.ts'
import { closeTestApp, openTestApp, Tenant, type TestApp } from './fixtures.ts'
import { databaseFingerprint } from './snapshot.ts'
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

let tenant: Tenant
let triggers: Record<string, string>
beforeEach(async () => {
  tenant = new Tenant(t.app)
  const { body } = await tenant.get('/api/bom-triggers')
  triggers = Object.fromEntries(
    body.items.map((trigger: { actionType: string; id: string }) => [trigger.actionType, trigger.id]),
  )
})

/** Runs a dry run and asserts that no table changed and nothing was sent. */
async function dryRun(triggerId: string, event: unknown) {
  const before = await databaseFingerprint(db)
  const answer = await tenant.post(`/api/bom-triggers/${triggerId}/test`, event)
  await t.app.webhookWorker.runOnce()
  expect(await databaseFingerprint(db)).toEqual(before)
  expect(receiver.received).toEqual([])
  return answer
}

describe('POST /api/bom-triggers/:id/test (dry run)', () => {
  it('is checked by a fingerprint that notices one changed value or a rolled-back insert', async () => {
    const task = await makeTask(tenant)
    const before = await databaseFingerprint(db)
    await db.raw.query("update tasks set title = 'Renamed' where id = $1", [task.id])
    const renamed = await databaseFingerprint(db)
    expect(renamed.tasks).not.toBe(before.tasks)
    await db.raw
      .transaction(async (tx) => {
        await tx.query(
          "insert into bom_trigger_logs (tenant_id, trigger_name, event, outcome, success, input_data, duration_ms, depth, chain_id) values ($1, 'x', 'ON_TASK_CREATE', 'failed', false, '{}', 0, 0, $1)",
          [tenant.id],
        )
        throw new Error('roll back')
      })
      .catch(() => undefined)
    expect(await databaseFingerprint(db)).not.toEqual(renamed)
  })

  it('says which conditions matched and what the action would do, for a hypothetical task', async () => {
    const answer = await dryRun(triggers.ADD_MATERIAL!, { task: { type: 'LAN', title: 'New office' } })
    expect(answer.status).toBe(200)
    expect(answer.body).toMatchObject({
      matched: true,
      written: false,
      conditions: [
        { pointer: '/conditions', kind: 'all', matched: true },
        {
          pointer: '/conditions/all/0',
          kind: 'comparison',
          path: 'task.type',
          operator: 'eq',
          expected: 'LAN',
          actual: 'LAN',
          matched: true,
        },
      ],
      action: {
        type: 'ADD_MATERIAL',
        summary: 'Add 50 m of UTP-CAT6 (UTP Cat6 cable) at 0.4500 each',
        raises: ['ON_MATERIAL_ADD'],
      },
    })
  })

  it('explains a mismatch and proposes no action', async () => {
    const answer = await dryRun(triggers.ADD_MATERIAL!, { task: { type: 'FIBER' } })
    expect(answer.body.matched).toBe(false)
    expect(answer.body.action).toBeNull()
    expect(answer.body.conditions[1]).toMatchObject({ actual: 'FIBER', expected: 'LAN', matched: false })
  })

  it('runs against a real task without touching it: cost, notify with a URL, quantity changes', async () => {
    const task = await makeTask(tenant, { type: 'LAN' })
    const cost = await dryRun(triggers.CALCULATE_COST!, {
      taskId: task.id,
      material: { sku: 'UTP-CAT6' },
      quantity: { new: '50' },
    })
    expect(cost.body.action).toMatchObject({
      type: 'CALCULATE_COST',
      details: { total: '22.5000', itemCount: 1 },
    })

    const notify = await tenant.patch(`/api/bom-triggers/${triggers.NOTIFY}`, {
      actionConfig: { url: receiver.url, includeBom: true },
    })
    expect(notify.status).toBe(200)
    const webhook = await dryRun(triggers.NOTIFY!, { taskId: task.id })
    expect(webhook.body.action).toMatchObject({
      type: 'NOTIFY',
      summary: `Send a signed task.completed webhook to ${receiver.url} after the operation commits`,
      details: {
        url: receiver.url,
        eventType: 'task.completed',
        data: { task: { id: task.id, status: 'COMPLETED' } },
      },
    })
    expect(webhook.body.action.details.data.materials).toHaveLength(1)

    const bump = await makeTrigger(tenant, {
      triggerEvent: 'ON_QUANTITY_CHANGE',
      actionType: 'UPDATE_QUANTITY',
      conditions: {
        any: [
          { path: 'quantity.new', operator: 'gte', value: '100' },
          { path: 'quantity.old', operator: 'eq', value: '0' },
        ],
      },
      actionConfig: { sku: 'UTP-CAT6', operation: 'add', quantity: '-20.5' },
    })
    const change = await dryRun(bump.id, {
      taskId: task.id,
      material: { sku: 'UTP-CAT6' },
      quantity: { old: '50', new: '100.0' },
    })
    expect(change.body.conditions.map((result: { matched: boolean }) => result.matched)).toEqual([
      true,
      true,
      false,
    ])
    expect(change.body.action).toMatchObject({
      summary: 'Change the quantity of UTP-CAT6 from 50.0000 to 29.5000',
      raises: ['ON_QUANTITY_CHANGE'],
    })
  })

  it('reports an action that would fail, still writing nothing', async () => {
    const item = await makeMaterial(tenant, { sku: 'DRY-FAIL' })
    const task = await makeTask(tenant)
    await tenant.post(`/api/tasks/${task.id}/materials`, { materialId: item.id, quantity: '1' })
    const failing = await makeTrigger(tenant, {
      triggerEvent: 'ON_TASK_CREATE',
      actionType: 'UPDATE_QUANTITY',
      actionConfig: { sku: 'DRY-FAIL', operation: 'add', quantity: '-5' },
      isActive: false,
    })
    const answer = await dryRun(failing.id, { taskId: task.id })
    expect(answer.body).toMatchObject({
      isActive: false,
      matched: true,
      action: { error: expect.stringContaining('-4.0000') },
    })
    // A cost too large for numeric(18,4): the database's refusal is reported, not a 500.
    const huge = await makeMaterial(tenant, { sku: 'DRY-HUGE', unitCost: '9999999999' })
    await tenant.post(`/api/tasks/${task.id}/materials`, { materialId: huge.id, quantity: '9999999999' })
    const overflow = await dryRun(triggers.CALCULATE_COST!, {
      taskId: task.id,
      material: { sku: 'DRY-HUGE' },
      quantity: { new: '1' },
    })
    expect(overflow.status).toBe(200)
    expect(overflow.body.action).toMatchObject({ error: 'the database refused the change (SQLSTATE 22003)' })
  })

  it('asks for the facts its event carries and refuses unknown tasks or other tenants', async () => {
    const missing = await dryRun(triggers.CALCULATE_COST!, { task: { type: 'LAN' } })
    expect(missing.status).toBe(400)
    expect(missing.body.code).toBe('BOM_TRIGGERS_INVALID_EVENT')
    expect(missing.body.errors.map((error: { path: string }) => error.path)).toEqual([
      '/body/material',
      '/body/quantity/new',
    ])
    const unknownTask = await dryRun(triggers.ADD_MATERIAL!, {
      taskId: '00000000-0000-4000-8000-000000000001',
    })
    expect(unknownTask.status).toBe(404)
    const stranger = new Tenant(t.app)
    const foreign = await stranger.post(`/api/bom-triggers/${triggers.ADD_MATERIAL}/test`, {})
    expect(foreign.status).toBe(404)
    expect(foreign.body.code).toBe('BOM_TRIGGERS_TRIGGER_NOT_FOUND')
  })
})
