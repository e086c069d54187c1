import type { TestDb } from '@gatehouse/db-kit/testing'
import { createTestClock } from '@gatehouse/service-kit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { disableSeededTriggers, makeMaterial, makeTask, makeTrigger } from './factories.ts'
import { closeTestApp, openTestApp, Tenant, type TestApp } from './fixtures.ts'
import { WebhookReceiver } from './webhook-receiver.ts'

let db: TestDb
let t: TestApp
let receiver: WebhookReceiver
const clock = createTestClock()

beforeAll(async () => {
  // Two attempts per message: the second failure gives up.
  ;({ db, t } = await openTestApp({ clock, env: { WEBHOOK_RETRY_SCHEDULE: '0s,5s' } }))
  receiver = await WebhookReceiver.start()
})
afterAll(async () => {
  await receiver?.close()
  await closeTestApp(t, db)
})

type Series = { labels: Record<string, string>; value: number }

/** The series of one metric as GET /metrics shows them. */
async function series(name: string): Promise<Series[]> {
  const answer = await t.app.inject('/metrics')
  expect(answer.statusCode).toBe(200)
  return answer.body
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`))
    .map((line) => {
      const [, labels = '', value = ''] = /^[^{]+\{(.*)\} (\S+)$/.exec(line) ?? []
      return {
        labels: Object.fromEntries([...labels.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]])),
        value: Number(value),
      }
    })
}

async function count(name: string, labels: Record<string, string>): Promise<number> {
  const found = (await series(name)).find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  return found?.value ?? 0
}

const executions = (action_type: string, outcome: string) =>
  count('bom_triggers_executions_total', { action_type, outcome })
const deliveries = (outcome: string) => count('bom_triggers_webhook_deliveries_total', { outcome })

describe('GET /metrics: the service’s own counters (issue 10)', () => {
  it('counts trigger executions by action type and outcome, once per logged run', async () => {
    const tenant = new Tenant(t.app)
    const m = await makeMaterial(tenant, { sku: 'METRIC-FAIL' })
    await makeTrigger(tenant, {
      name: 'take ten',
      triggerEvent: 'ON_MATERIAL_ADD',
      actionType: 'UPDATE_QUANTITY',
      conditions: { all: [{ path: 'material.sku', operator: 'eq', value: m.sku }] },
      actionConfig: { sku: m.sku, operation: 'add', quantity: '-10' },
    })
    const before = {
      added: await executions('ADD_MATERIAL', 'success'),
      costed: await executions('CALCULATE_COST', 'success'),
      failed: await executions('UPDATE_QUANTITY', 'failure'),
    }

    // The seeded triggers: a LAN task gets its cable (ADD_MATERIAL), which recalculates the cost.
    const task = await makeTask(tenant, { type: 'LAN' })
    expect(task.triggerRuns.map((run) => run.outcome)).toEqual(['succeeded', 'succeeded'])
    // The tenant's own trigger fails (the quantity would go below 0); the seeded cost trigger succeeds.
    const added = await tenant.post(`/api/tasks/${task.id}/materials`, { sku: m.sku, quantity: '2' })
    expect(added.status).toBe(201)
    expect(added.body.triggerRuns).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'take ten', outcome: 'failed' })]),
    )

    expect(await executions('ADD_MATERIAL', 'success')).toBe(before.added + 1)
    expect(await executions('CALCULATE_COST', 'success')).toBe(before.costed + 2)
    expect(await executions('UPDATE_QUANTITY', 'failure')).toBe(before.failed + 1)
  })

  it('a run the database refuses counts once, although the operation ran again with savepoints', async () => {
    const tenant = new Tenant(t.app)
    const huge = await makeMaterial(tenant, { sku: 'METRIC-HUGE', unitCost: '9999999999.0000' })
    const task = await makeTask(tenant)
    const before = await executions('CALCULATE_COST', 'failure')
    const added = await tenant.post(`/api/tasks/${task.id}/materials`, {
      materialId: huge.id,
      quantity: '9999999999',
    })
    expect(added.status).toBe(201)
    expect(added.body.triggerRuns).toEqual([
      expect.objectContaining({
        outcome: 'failed',
        error: 'the database refused the change (SQLSTATE 22003)',
      }),
    ])
    expect(await executions('CALCULATE_COST', 'failure')).toBe(before + 1)
  })

  it('an aborted operation counts only the failure it logs', async () => {
    const tenant = new Tenant(t.app)
    await disableSeededTriggers(tenant)
    const first = await makeMaterial(tenant, { sku: 'METRIC-FIRST' })
    const gone = await makeMaterial(tenant, { sku: 'METRIC-GONE' })
    await makeTrigger(tenant, {
      triggerEvent: 'ON_TASK_CREATE',
      actionType: 'ADD_MATERIAL',
      actionConfig: { sku: first.sku, quantity: '1' },
      priority: 10,
    })
    await makeTrigger(tenant, {
      triggerEvent: 'ON_TASK_CREATE',
      actionType: 'ADD_MATERIAL',
      actionConfig: { sku: gone.sku, quantity: '1' },
      abortOnError: true,
    })
    await db.raw.query('delete from materials where id = $1', [gone.id])
    const before = {
      success: await executions('ADD_MATERIAL', 'success'),
      failure: await executions('ADD_MATERIAL', 'failure'),
    }
    const answer = await tenant.post('/api/tasks', { title: 'Doomed', type: 'GENERAL' })
    expect(answer.status).toBe(422)
    expect(await executions('ADD_MATERIAL', 'success')).toBe(before.success)
    expect(await executions('ADD_MATERIAL', 'failure')).toBe(before.failure + 1)
  })

  it('counts webhook attempts: delivered, failed attempt, given up', async () => {
    const tenant = new Tenant(t.app)
    const { body } = await tenant.get('/api/bom-triggers?actionType=NOTIFY')
    const trigger = body.items[0] as { id: string }
    const configured = await tenant.patch(`/api/bom-triggers/${trigger.id}`, {
      actionConfig: { url: receiver.url },
    })
    expect(configured.status).toBe(200)
    const before = {
      delivered: await deliveries('delivered'),
      failedAttempt: await deliveries('failed_attempt'),
      givenUp: await deliveries('given_up'),
    }

    receiver.answerWith(500, 503)
    const failing = await makeTask(tenant)
    await tenant.post(`/api/tasks/${failing.id}/complete`)
    expect(await t.app.webhookWorker.runOnce()).toMatchObject({ attempted: 1, retrying: 1 })
    clock.advance(5_000)
    expect(await t.app.webhookWorker.runOnce()).toMatchObject({ attempted: 1, failed: 1 })
    const delivered = await makeTask(tenant)
    await tenant.post(`/api/tasks/${delivered.id}/complete`)
    expect(await t.app.webhookWorker.runOnce()).toMatchObject({ attempted: 1, delivered: 1 })

    expect(await deliveries('failed_attempt')).toBe(before.failedAttempt + 1)
    expect(await deliveries('given_up')).toBe(before.givenUp + 1)
    expect(await deliveries('delivered')).toBe(before.delivered + 1)
  })

  it('labels only closed sets of values, never trigger or tenant ids', async () => {
    const runs = await series('bom_triggers_executions_total')
    const attempts = await series('bom_triggers_webhook_deliveries_total')
    expect(runs.length).toBeGreaterThan(0)
    expect(attempts.length).toBeGreaterThan(0)
    for (const { labels } of runs) {
      expect(Object.keys(labels).sort()).toEqual(['action_type', 'outcome', 'service'])
      expect(['ADD_MATERIAL', 'UPDATE_QUANTITY', 'REMOVE_MATERIAL', 'NOTIFY', 'CALCULATE_COST']).toContain(
        labels.action_type,
      )
      expect(['success', 'failure']).toContain(labels.outcome)
    }
    for (const { labels } of attempts) {
      expect(Object.keys(labels).sort()).toEqual(['outcome', 'service'])
      expect(['delivered', 'failed_attempt', 'given_up']).toContain(labels.outcome)
    }
  })
})
