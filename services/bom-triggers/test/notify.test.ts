import type { TestDb } from '@gatehouse/db-kit/testing'
import { createTestClock } from '@gatehouse/service-kit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { makeTask, makeTrigger } from './factories.ts'
import { closeTestApp, openTestApp, startTestApp, Tenant, type TestApp } from './fixtures.ts'
import { WebhookReceiver } from './webhook-receiver.ts'

let db: TestDb
let t: TestApp
let receiver: WebhookReceiver
// standardwebhooks refuses timestamps more than 5 minutes from the real time: starting 4 minutes back leaves the
// clock room to move through the first retries (0, 5 s, 5 min) and still sign acceptable timestamps.
const clock = createTestClock(new Date(Date.now() - 4 * 60_000))

beforeAll(async () => {
  ;({ db, t } = await openTestApp({ clock }))
})
afterAll(async () => closeTestApp(t, db))
afterEach(async () => receiver?.close())

/** A tenant whose seeded "Notify on task completion" trigger points at a fresh receiver. */
async function notifyingTenant(app = t.app) {
  receiver = await WebhookReceiver.start()
  const tenant = new Tenant(app)
  const { body } = await tenant.get('/api/bom-triggers?actionType=NOTIFY')
  const trigger = body.items[0] as { id: string }
  const configured = await tenant.patch(`/api/bom-triggers/${trigger.id}`, {
    actionConfig: { url: receiver.url, includeBom: true },
  })
  expect(configured.status).toBe(200)
  const secret = (await tenant.get(`/api/bom-triggers/${trigger.id}/webhook-secret`)).body.secret as string
  return { tenant, triggerId: trigger.id, secret }
}

async function deliveries(tenant: Tenant) {
  const answer = await tenant.get('/api/bom-triggers/deliveries')
  expect(answer.status).toBe(200)
  return answer.body.items as Array<Record<string, unknown>>
}

describe('NOTIFY: signed webhooks through the outbox', () => {
  it('completing a task writes the message in the transaction and delivers it after commit, signed', async () => {
    const { tenant, triggerId, secret } = await notifyingTenant()
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    const task = await makeTask(tenant, { type: 'LAN', title: 'Server room' })
    const completed = await tenant.post(`/api/tasks/${task.id}/complete`)
    expect(completed.body.triggerRuns).toEqual([expect.objectContaining({ triggerId, outcome: 'succeeded' })])
    // Committed and waiting: nothing is sent from inside the operation.
    expect(receiver.received).toEqual([])
    expect(await deliveries(tenant)).toEqual([
      expect.objectContaining({ status: 'pending', attempts: 0, triggerId }),
    ])

    expect(await t.app.webhookWorker.runOnce()).toMatchObject({ attempted: 1, delivered: 1 })
    expect(receiver.received).toHaveLength(1)
    const [webhook] = receiver.received
    expect(webhook!.headers['content-type']).toBe('application/json')
    const payload = WebhookReceiver.verify(secret, webhook!)
    expect(payload).toMatchObject({
      type: 'task.completed',
      data: {
        trigger: { id: triggerId, name: 'Notify on task completion' },
        event: 'ON_TASK_COMPLETE',
        task: { id: task.id, title: 'Server room', status: 'COMPLETED' },
        status: { old: 'PENDING', new: 'COMPLETED' },
        materials: [expect.objectContaining({ sku: 'UTP-CAT6', quantity: '50.0000' })],
        cost: expect.objectContaining({ total: '22.5000' }),
      },
    })
    expect(() =>
      WebhookReceiver.verify(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, webhook!),
    ).toThrow()
    expect(await deliveries(tenant)).toEqual([
      expect.objectContaining({
        id: webhook!.headers['webhook-id'],
        status: 'delivered',
        attempts: 1,
        lastResponseStatus: 200,
      }),
    ])
  })

  it('a receiver that fails twice then succeeds gets the event once per attempt, with the same webhook-id', async () => {
    const { tenant, secret } = await notifyingTenant()
    receiver.answerWith(500, 503)
    const task = await makeTask(tenant)
    await tenant.post(`/api/tasks/${task.id}/complete`)

    expect(await t.app.webhookWorker.runOnce()).toMatchObject({ attempted: 1, retrying: 1 })
    const [pending] = await deliveries(tenant)
    expect(pending).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastResponseStatus: 500,
      lastError: 'endpoint answered 500',
    })
    expect(pending!.nextAttemptAt).toBe(new Date(clock().getTime() + 5_000).toISOString())
    // Not due yet: nothing is sent.
    expect(await t.app.webhookWorker.runOnce()).toMatchObject({ attempted: 0 })

    clock.advance(5_000)
    expect(await t.app.webhookWorker.runOnce()).toMatchObject({ attempted: 1, retrying: 1 })
    clock.advance(5 * 60_000 - 1)
    expect(await t.app.webhookWorker.runOnce()).toMatchObject({ attempted: 0 })
    clock.advance(1)
    expect(await t.app.webhookWorker.runOnce()).toMatchObject({ attempted: 1, delivered: 1 })

    expect(receiver.received).toHaveLength(3)
    const ids = receiver.received.map((webhook) => webhook.headers['webhook-id'])
    expect(new Set(ids).size).toBe(1)
    expect(new Set(receiver.received.map((webhook) => webhook.body)).size).toBe(1)
    const timestamps = receiver.received.map((webhook) => Number(webhook.headers['webhook-timestamp']))
    expect(timestamps[1]! - timestamps[0]!).toBe(5)
    for (const webhook of receiver.received)
      expect(WebhookReceiver.verify(secret, webhook)).toMatchObject({ type: 'task.completed' })
    expect(await deliveries(tenant)).toEqual([
      expect.objectContaining({ status: 'delivered', attempts: 3, lastError: null }),
    ])
  })

  it('gives up when the schedule is exhausted', async () => {
    const short = await startTestApp(db, { clock, env: { WEBHOOK_RETRY_SCHEDULE: '0s,1s' } })
    try {
      const { tenant } = await notifyingTenant(short.app)
      receiver.answerWith(500, 500, 500)
      const task = await makeTask(tenant)
      await tenant.post(`/api/tasks/${task.id}/complete`)
      await short.app.webhookWorker.runOnce()
      clock.advance(1_000)
      expect(await short.app.webhookWorker.runOnce()).toMatchObject({ attempted: 1, failed: 1 })
      clock.advance(60_000)
      expect(await short.app.webhookWorker.runOnce()).toMatchObject({ attempted: 0 })
      expect(receiver.received).toHaveLength(2)
      expect(await deliveries(tenant)).toEqual([
        expect.objectContaining({ status: 'failed', attempts: 2, nextAttemptAt: null }),
      ])
    } finally {
      await short.app.close()
    }
  })

  it('410 Gone stops the retries and deactivates the trigger', async () => {
    const { tenant, triggerId } = await notifyingTenant()
    receiver.answerWith(410)
    const task = await makeTask(tenant)
    await tenant.post(`/api/tasks/${task.id}/complete`)
    expect(await t.app.webhookWorker.runOnce()).toMatchObject({ attempted: 1, failed: 1 })
    expect(await deliveries(tenant)).toEqual([
      expect.objectContaining({ status: 'failed', lastResponseStatus: 410 }),
    ])
    expect((await tenant.get(`/api/bom-triggers/${triggerId}`)).body.isActive).toBe(false)
  })

  it('an attempt that gets no answer times out and is retried', async () => {
    const slow = await startTestApp(db, { clock, env: { WEBHOOK_TIMEOUT_MS: '200' } })
    try {
      const { tenant } = await notifyingTenant(slow.app)
      receiver.neverAnswer()
      const task = await makeTask(tenant)
      await tenant.post(`/api/tasks/${task.id}/complete`)
      expect(await slow.app.webhookWorker.runOnce()).toMatchObject({ attempted: 1, retrying: 1 })
      expect(await deliveries(tenant)).toEqual([
        expect.objectContaining({ status: 'pending', attempts: 1, lastError: 'timed out after 200 ms' }),
      ])
    } finally {
      await slow.app.close()
    }
  })

  it('an operation that aborts leaves no message behind', async () => {
    const { tenant } = await notifyingTenant()
    await makeTrigger(tenant, {
      triggerEvent: 'ON_TASK_COMPLETE',
      actionType: 'UPDATE_QUANTITY',
      actionConfig: { sku: 'UTP-CAT6', operation: 'add', quantity: '-100' },
      abortOnError: true,
      priority: -1,
    })
    const task = await makeTask(tenant, { type: 'LAN' })
    const completed = await tenant.post(`/api/tasks/${task.id}/complete`)
    expect(completed.status).toBe(422)
    expect(await deliveries(tenant)).toEqual([])
    await t.app.webhookWorker.runOnce()
    expect(receiver.received).toEqual([])
  })

  it('without a url the notification is only recorded in the log', async () => {
    const tenant = new Tenant(t.app)
    const task = await makeTask(tenant)
    const completed = await tenant.post(`/api/tasks/${task.id}/complete`)
    expect(completed.body.triggerRuns).toEqual([
      expect.objectContaining({ name: 'Notify on task completion', outcome: 'succeeded' }),
    ])
    const logs = await tenant.get(`/api/bom-triggers/logs?taskId=${task.id}`)
    expect(logs.body.items[0].outputData).toMatchObject({
      delivered: false,
      reason: 'no url in actionConfig',
      eventType: 'task.completed',
    })
    expect(await deliveries(tenant)).toEqual([])
  })

  it('with the worker running, delivery follows the commit without anyone asking', async () => {
    const live = await startTestApp(db, {
      env: { WEBHOOK_DELIVERY: 'true', WEBHOOK_POLL_INTERVAL_MS: '60000' },
    })
    try {
      const { tenant, secret } = await notifyingTenant(live.app)
      const task = await makeTask(tenant)
      await tenant.post(`/api/tasks/${task.id}/complete`)
      await receiver.waitFor(1)
      expect(WebhookReceiver.verify(secret, receiver.received[0]!)).toMatchObject({
        data: { task: { id: task.id } },
      })
    } finally {
      await live.app.close()
    }
  })

  it('only NOTIFY triggers have a webhook secret, and only for their tenant', async () => {
    const { tenant, triggerId } = await notifyingTenant()
    const { body } = await tenant.get('/api/bom-triggers?actionType=CALCULATE_COST')
    const notNotify = await tenant.get(`/api/bom-triggers/${body.items[0].id}/webhook-secret`)
    expect(notNotify.status).toBe(409)
    expect(notNotify.body.code).toBe('BOM_TRIGGERS_NOT_A_WEBHOOK_TRIGGER')
    expect((await new Tenant(t.app).get(`/api/bom-triggers/${triggerId}/webhook-secret`)).status).toBe(404)
  })
})
