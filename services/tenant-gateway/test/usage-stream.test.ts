import type { TestDb } from '@gatehouse/db-kit/testing'
import type { ServiceInstance } from '@gatehouse/service-kit'
import { freePort } from '@gatehouse/service-kit/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createKey, createTenant, userOf } from './factories.ts'
import {
  type AuthStub,
  type EchoUpstream,
  gateway,
  openMeteringDb,
  openTestDb,
  startAuthStub,
  startEchoUpstream,
  startMetering,
  testConfig,
} from './fixtures.ts'

let gatewayDb: TestDb
let meteringDb: TestDb
let auth: AuthStub
let bom: EchoUpstream
const running: ServiceInstance[] = []

beforeAll(async () => {
  gatewayDb = await openTestDb()
  meteringDb = await openMeteringDb()
  auth = await startAuthStub()
  bom = await startEchoUpstream('bom-triggers')
})
afterEach(async () => {
  // Gateways first: closing one flushes its usage to the metering still running.
  for (const app of running.splice(0).reverse()) await app.close()
})
afterAll(async () => {
  await Promise.all([auth?.close(), bom?.close()])
  await Promise.all([gatewayDb?.close(), meteringDb?.close()])
})

async function meteringUp(port = 0): Promise<string> {
  const { app, url } = await startMetering(meteringDb, { port })
  running.push(app)
  return url
}

/** A gateway built as server.ts builds it: no usage sink passed, so USAGE_SINK decides. */
async function gatewayTo(meteringUrl: string, settings: Record<string, string> = {}) {
  const app = await gateway({
    db: gatewayDb,
    auth,
    config: { BOM_TRIGGERS_URL: bom.url, METERING_URL: meteringUrl, USAGE_SINK: 'metering', ...settings },
  })
  running.push(app)
  const owner = await userOf(auth)
  const tenantId = await createTenant(app, owner)
  const { key } = await createKey(app, owner, tenantId, { name: 'ci', scopes: ['tasks:read'] })
  const request = async (count: number) => {
    for (let i = 0; i < count; i += 1) {
      const response = await app.inject({
        method: 'GET',
        url: `/api/tasks/${i}`,
        headers: { 'x-api-key': key },
      })
      expect(response.statusCode).toBe(200)
    }
  }
  return { app, tenantId, request }
}

async function storedRequests(tenantId: string): Promise<{ events: number; keys: number }> {
  const [row] = await meteringDb.raw.query<{ events: number; keys: number }>(
    `select count(*)::int as events, count(distinct idempotency_key)::int as keys
     from usage_events where tenant_id = $1 and metric = 'api.request' and source = 'gateway'`,
    [tenantId],
  )
  return { events: row!.events, keys: row!.keys }
}

/** Waits, bounded, for what the sink does on its own interval. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await read()
    if (done(value) || Date.now() > deadline) return value
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

describe('the gateway usage stream', () => {
  it('defaults to the metering sink with its settings', () => {
    const config = testConfig({ USAGE_SINK: undefined })
    expect(config).toMatchObject({
      USAGE_SINK: 'metering',
      USAGE_BUFFER_MAX: 100_000,
      USAGE_BATCH_SIZE: 1_000,
      USAGE_FLUSH_INTERVAL_MS: 1_000,
    })
    expect(() => testConfig({ USAGE_SINK: 'kafka' })).toThrow(/USAGE_SINK/)
    expect(() => testConfig({ USAGE_BATCH_SIZE: '5001' })).toThrow(/USAGE_BATCH_SIZE/)
  })

  it('sends every keyed request to metering once, and /ready shows the stream', async () => {
    const meteringUrl = await meteringUp()
    const { app, tenantId, request } = await gatewayTo(meteringUrl, { USAGE_FLUSH_INTERVAL_MS: '50' })
    await request(25)

    expect(
      await eventually(
        () => storedRequests(tenantId),
        (stored) => stored.events >= 25,
      ),
    ).toEqual({ events: 25, keys: 25 })
    // The last batch is stored before its answer is read: until then it still counts as buffered.
    const ready = await eventually(
      async () => (await app.inject({ method: 'GET', url: '/ready' })).json(),
      (body) => body.usage?.buffered === 0,
    )
    expect(ready).toMatchObject({ status: 'ready', usage: { buffered: 0, dropped: 0 } })
  })

  it('stays ready while metering is down, counts what waits and what the bound drops, and flushes on close', async () => {
    const port = await freePort()
    const { app, tenantId, request } = await gatewayTo(`http://127.0.0.1:${port}`, {
      USAGE_FLUSH_INTERVAL_MS: '50',
      USAGE_BUFFER_MAX: '8',
    })
    await request(10)

    const ready = await app.inject({ method: 'GET', url: '/ready' })
    expect(ready.statusCode).toBe(200)
    expect(ready.json()).toMatchObject({ status: 'ready', usage: { buffered: 8, dropped: 2 } })

    // metering comes back on its port; graceful shutdown delivers what was held.
    await meteringUp(port)
    await app.close()
    expect(await storedRequests(tenantId)).toEqual({ events: 8, keys: 8 })
  })

  it('delivers on graceful shutdown what its interval has not sent yet', async () => {
    const meteringUrl = await meteringUp()
    const { app, tenantId, request } = await gatewayTo(meteringUrl, { USAGE_FLUSH_INTERVAL_MS: '60000' })
    await request(12)
    expect(await storedRequests(tenantId)).toEqual({ events: 0, keys: 0 })

    await app.close()
    expect(await storedRequests(tenantId)).toEqual({ events: 12, keys: 12 })
  })

  it('discards usage and leaves /ready as it was with USAGE_SINK=discard', async () => {
    const meteringUrl = await meteringUp()
    const { app, tenantId, request } = await gatewayTo(meteringUrl, {
      USAGE_SINK: 'discard',
      USAGE_FLUSH_INTERVAL_MS: '50',
    })
    await request(3)
    await app.close()
    expect(await storedRequests(tenantId)).toEqual({ events: 0, keys: 0 })
    const again = await gateway({ db: gatewayDb })
    running.push(again)
    expect((await again.inject({ method: 'GET', url: '/ready' })).json()).toEqual({
      status: 'ready',
      service: 'tenant-gateway',
    })
  })
})
