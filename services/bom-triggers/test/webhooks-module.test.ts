import type { TestDb } from '@gatehouse/db-kit/testing'
import { openPoolConnections } from '@gatehouse/db-kit/testing'
import { Webhook } from 'standardwebhooks'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  checkWebhookUrl,
  createWebhookWorker,
  deriveWebhookSecret,
  enqueueWebhook,
  isNonPublicAddress,
  parseRetrySchedule,
  SVIX_RETRY_SCHEDULE_MS,
  signWebhook,
  webhookOutbox,
} from '../src/webhooks/index.ts'
import { openTestDb } from './fixtures.ts'
import { WebhookReceiver } from './webhook-receiver.ts'

// The generic sender on its own: no task, trigger or tenant logic involved.
const SECRET = deriveWebhookSecret('module-test-master-key-0123456789abcdef', 'endpoint-1')
const silent = { info: () => {}, warn: () => {} }

let db: TestDb
let receiver: WebhookReceiver | undefined
beforeAll(async () => {
  db = await openTestDb()
})
afterAll(async () => db?.close())
afterEach(async () => {
  await receiver?.close()
  receiver = undefined
  await db.db.delete(webhookOutbox)
})

function worker(options: { allowPrivateNetworks: boolean }) {
  return createWebhookWorker({ db: db.db, log: silent, secretFor: () => SECRET, ...options })
}

describe('signing', () => {
  it('produces Standard Webhooks v1 headers that the standardwebhooks package verifies', () => {
    const body = JSON.stringify({ type: 'x.y', data: { n: '1.50' } })
    const headers = signWebhook(SECRET, { id: 'msg_1', timestamp: new Date(), body })
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/)
    expect(new Webhook(SECRET).verify(body, { ...headers })).toEqual({ type: 'x.y', data: { n: '1.50' } })
    expect(() => new Webhook(SECRET).verify(`${body} `, { ...headers })).toThrow()
  })

  it('derives one stable secret per label', () => {
    expect(deriveWebhookSecret('k'.repeat(32), 'a')).toBe(deriveWebhookSecret('k'.repeat(32), 'a'))
    expect(deriveWebhookSecret('k'.repeat(32), 'a')).not.toBe(deriveWebhookSecret('k'.repeat(32), 'b'))
    expect(deriveWebhookSecret('k'.repeat(32), 'a')).not.toBe(deriveWebhookSecret('j'.repeat(32), 'a'))
  })
})

describe('retry schedule', () => {
  it("defaults to Svix's and parses shortened ones", () => {
    expect(parseRetrySchedule('0s,5s,5m,30m,2h,5h,10h,10h')).toEqual(SVIX_RETRY_SCHEDULE_MS)
    expect(parseRetrySchedule(' 0ms , 250ms,1s ')).toEqual([0, 250, 1000])
    expect(() => parseRetrySchedule('5 minutes')).toThrow(RangeError)
  })
})

describe('address guard', () => {
  it('tells non-public addresses from public ones', () => {
    for (const address of [
      '127.0.0.1',
      '127.8.9.1',
      '10.0.0.1',
      '172.16.5.4',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fd12::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '[::1]',
      '224.0.0.1',
    ]) {
      expect([address, isNonPublicAddress(address)]).toEqual([address, true])
    }
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '172.32.0.1', 'example.com']) {
      expect([address, isNonPublicAddress(address)]).toEqual([address, false])
    }
  })

  it('checks URLs without resolving them', () => {
    expect(checkWebhookUrl('https://hooks.example.com/x', { allowPrivateNetworks: false }).ok).toBe(true)
    expect(checkWebhookUrl('http://127.0.0.1:9/x', { allowPrivateNetworks: true }).ok).toBe(true)
    expect(checkWebhookUrl('http://0x7f000001/x', { allowPrivateNetworks: false })).toMatchObject({
      ok: false,
    })
    expect(checkWebhookUrl('file:///etc/passwd', { allowPrivateNetworks: true })).toEqual({
      ok: false,
      reason: 'must be http or https',
    })
    expect(checkWebhookUrl('not a url', { allowPrivateNetworks: true })).toEqual({
      ok: false,
      reason: 'is not a valid URL',
    })
  })

  it('refuses at delivery time a name that resolves to loopback, and a literal loopback address, sending nothing', async () => {
    receiver = await WebhookReceiver.start()
    const port = new URL(receiver.url).port
    const now = new Date()
    for (const url of [`http://localhost:${port}/hooks`, `http://127.0.0.1:${port}/hooks`]) {
      await enqueueWebhook(db.db, { endpointKey: 'e', url, eventType: 'test.ssrf', data: {} }, { now })
    }
    const strict = worker({ allowPrivateNetworks: false })
    expect(await strict.runOnce()).toMatchObject({ attempted: 2, failed: 2 })
    await strict.stop()
    expect(receiver.received).toEqual([])
    const rows = await db.db.select().from(webhookOutbox)
    expect(rows.map((row) => [row.status, row.lastError?.startsWith('refused: ')])).toEqual([
      ['failed', true],
      ['failed', true],
    ])
  })
})

describe.runIf(process.env.TEST_DATABASE_URL)('outbox worker on PostgreSQL', () => {
  it('two workers draining at once deliver every message exactly once', async () => {
    receiver = await WebhookReceiver.start()
    const now = new Date()
    for (let i = 0; i < 30; i++) {
      await enqueueWebhook(
        db.db,
        { endpointKey: 'e', url: receiver.url, eventType: 'test.race', data: { i } },
        { now },
      )
    }
    await openPoolConnections(db, 4)
    const workers = [worker({ allowPrivateNetworks: true }), worker({ allowPrivateNetworks: true })]
    const summaries = await Promise.all(workers.map((w) => w.runOnce()))
    await Promise.all(workers.map((w) => w.stop()))
    expect(summaries.reduce((sum, s) => sum + s.delivered, 0)).toBe(30)
    const ids = receiver.received.map((webhook) => webhook.headers['webhook-id'])
    expect(ids).toHaveLength(30)
    expect(new Set(ids).size).toBe(30)
  })
})
