import { randomUUID } from 'node:crypto'
import type { TestDb } from '@gatehouse/db-kit/testing'
import {
  createTestClock,
  SERVICE_TOKEN_HEADER,
  type ServiceInstance,
  signServiceToken,
  type TestClock,
} from '@gatehouse/service-kit'
import { eq } from 'drizzle-orm'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { clients } from '../src/db/schema/index.ts'
import { createKey, createTenant, type TestUser, userOf } from './factories.ts'
import {
  type AuthStub,
  type EchoUpstream,
  gateway,
  INTERNAL_SECRET,
  type MeteringServer,
  openMeteringDb,
  openTestDb,
  startAuthStub,
  startEchoUpstream,
  startMetering,
} from './fixtures.ts'

let gatewayDb: TestDb
let meteringDb: TestDb
let auth: AuthStub
let bom: EchoUpstream
let metering: MeteringServer
const running: ServiceInstance[] = []

beforeAll(async () => {
  gatewayDb = await openTestDb()
  meteringDb = await openMeteringDb()
  auth = await startAuthStub()
  bom = await startEchoUpstream('bom-triggers')
  metering = await startMetering(meteringDb)
})
afterEach(async () => {
  for (const app of running.splice(0).reverse()) await app.close()
})
afterAll(async () => {
  await metering?.app.close()
  await Promise.all([auth?.close(), bom?.close()])
  await Promise.all([gatewayDb?.close(), meteringDb?.close()])
})

/**
 * A gateway on the real metering. The sink sends only when flushed and the tracker refreshes only when asked,
 * unless a test sets the intervals: so each step is exact. Keys are not cached, so a changed quota applies at once.
 */
async function gatewayTo(settings: Record<string, string> = {}, clock?: TestClock) {
  const app = await gateway({
    db: gatewayDb,
    auth,
    ...(clock ? { clock } : {}),
    config: {
      BOM_TRIGGERS_URL: bom.url,
      METERING_URL: metering.url,
      USAGE_SINK: 'metering',
      USAGE_FLUSH_INTERVAL_MS: '60000',
      USAGE_QUOTA_REFRESH_MS: '600000',
      KEY_CACHE_TTL_MS: '0',
      ...settings,
    },
  })
  running.push(app)
  return app
}

interface Tenant {
  id: string
  key: string
  owner: TestUser
}

async function tenantWithQuota(app: ServiceInstance, quota: number | null, now?: Date): Promise<Tenant> {
  const owner = await userOf(auth, now)
  const id = await createTenant(app, owner)
  await setQuota(id, quota)
  const { key } = await createKey(app, owner, id, { name: 'ci' })
  return { id, key, owner }
}

const setQuota = (tenantId: string, quota: number | null) =>
  gatewayDb.db.update(clients).set({ monthlyRequestQuota: quota }).where(eq(clients.id, tenantId))

const call = (app: ServiceInstance, key: string, url = '/api/tasks') =>
  app.inject({ method: 'GET', url, headers: { 'x-api-key': key } })

/** Sends until the first refusal (at most `max`); how many were answered 200. */
async function admittedUntilRefused(app: ServiceInstance, key: string, max = 100): Promise<number> {
  for (let sent = 0; sent < max; sent += 1) {
    const response = await call(app, key)
    if (response.statusCode === 429) return sent
    expect(response.statusCode).toBe(200)
  }
  return max
}

/** What a refresh interval does after a flush interval: usage delivered, then month-to-date asked again. */
async function deliverAndRefresh(...apps: ServiceInstance[]) {
  for (const app of apps) await app.flushPendingWrites()
  for (const app of apps) await app.usageQuotas.refresh()
}

async function storedRequests(tenantId: string): Promise<number> {
  const [row] = await meteringDb.raw.query<{ n: number }>(
    `select count(*)::int as n from usage_events where tenant_id = $1 and metric = 'api.request'`,
    [tenantId],
  )
  return row!.n
}

/** `count` api.request events of the tenant, as another replica (or an earlier run) would have sent them. */
async function ingestDirectly(tenantId: string, count: number, at = new Date()) {
  const token = await signServiceToken(INTERNAL_SECRET, { issuer: 'tenant-gateway', audience: 'metering' })
  const response = await metering.app.inject({
    method: 'POST',
    url: '/internal/usage-events',
    headers: { [SERVICE_TOKEN_HEADER]: token },
    payload: {
      events: Array.from({ length: count }, () => ({
        tenantId,
        metric: 'api.request',
        quantity: '1',
        idempotencyKey: randomUUID(),
        occurredAt: at.toISOString(),
      })),
    },
  })
  expect(response.json()).toMatchObject({ accepted: count })
}

async function alertRows(tenantId: string) {
  return meteringDb.raw.query<{ threshold_percent: number; quota: string; used: string }>(
    `select threshold_percent, quota::text, used::text from usage_alerts where tenant_id = $1
     order by threshold_percent`,
    [tenantId],
  )
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await read()
    if (done(value) || Date.now() > deadline) return value
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

function secondsToNextUtcMonth(now: Date): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)
  return Math.ceil((next - now.getTime()) / 1000)
}

describe('monthly request quotas', () => {
  it('answers exactly N requests, then 429 USAGE_EXCEEDED until the quota is raised', async () => {
    const app = await gatewayTo()
    const acme = await tenantWithQuota(app, 5)
    const other = await tenantWithQuota(app, 5)
    const before = bom.received()

    expect(await admittedUntilRefused(app, acme.key)).toBe(5)
    expect(bom.received() - before).toBe(5)
    const refused = await call(app, acme.key)
    expect(refused.statusCode).toBe(429)
    expect(refused.headers['content-type']).toContain('application/problem+json')
    expect(refused.json()).toMatchObject({
      code: 'TENANT_GATEWAY_USAGE_EXCEEDED',
      status: 429,
      limit: 5,
      used: 5,
      resetsAt: expect.stringMatching(/-01T00:00:00.000Z$/),
    })
    const retryAfter = Number(refused.headers['retry-after'])
    expect(Math.abs(retryAfter - secondsToNextUtcMonth(new Date()))).toBeLessThanOrEqual(5)
    expect(refused.headers['ratelimit-limit']).toBeUndefined()
    expect(bom.received() - before).toBe(5)

    // metering now holds what was answered, and nothing of what was refused.
    await deliverAndRefresh(app)
    expect(await storedRequests(acme.id)).toBe(5)
    expect((await call(app, acme.key)).statusCode).toBe(429)

    const verify = await app.inject({ method: 'POST', url: '/api/keys/verify', payload: { key: acme.key } })
    expect(verify.json()).toMatchObject({
      valid: false,
      code: 'USAGE_EXCEEDED',
      tenantId: acme.id,
      usage: { limit: 5, used: 5, resetsAt: refused.json().resetsAt },
    })

    // Another tenant of the same gateway is unaffected.
    expect((await call(app, other.key)).statusCode).toBe(200)
    const fine = await app.inject({ method: 'POST', url: '/api/keys/verify', payload: { key: other.key } })
    expect(fine.json()).toMatchObject({ valid: true, code: 'VALID', usage: { limit: 5, used: 1 } })

    // A higher override: the rest of it, then refused again.
    await setQuota(acme.id, 8)
    await deliverAndRefresh(app)
    expect(await admittedUntilRefused(app, acme.key)).toBe(3)
    await deliverAndRefresh(app)
    expect(await storedRequests(acme.id)).toBe(8)
  })

  it('counts what metering already holds: after one refresh only quota - M more are admitted', async () => {
    const app = await gatewayTo()
    const acme = await tenantWithQuota(app, 10)
    await ingestDirectly(acme.id, 4)

    // Never seen by this gateway: the first request is admitted while its figures are asked for.
    expect((await call(app, acme.key)).statusCode).toBe(200)
    await app.usageQuotas.refresh()
    expect(await admittedUntilRefused(app, acme.key)).toBe(10 - 4 - 1)
    await deliverAndRefresh(app)
    expect(await storedRequests(acme.id)).toBe(10)
    expect((await call(app, acme.key)).statusCode).toBe(429)
  })

  it('holds a unit per request in flight: concurrent requests do not pass the last one', async () => {
    const app = await gatewayTo()
    const acme = await tenantWithQuota(app, 6)
    await ingestDirectly(acme.id, 2)
    expect((await call(app, acme.key)).statusCode).toBe(200)
    await app.usageQuotas.refresh()

    const answers = await Promise.all(Array.from({ length: 10 }, () => call(app, acme.key)))
    const statuses = answers.map((answer) => answer.statusCode)
    expect(statuses.filter((status) => status === 200)).toHaveLength(3)
    expect(statuses.filter((status) => status === 429)).toHaveLength(7)
  })

  it('stays within the documented bound with two gateways: one window of the other replica', async () => {
    const [a, b] = [await gatewayTo(), await gatewayTo()]
    const quota = 42
    const acme = await tenantWithQuota(a, quota)
    // One window (a flush then a refresh) every `perWindow` requests on each replica.
    const perWindow = 4
    let admitted = 0
    const open = { a: true, b: true }
    while (open.a || open.b) {
      for (let i = 0; i < perWindow; i += 1) {
        for (const [name, app] of [
          ['a', a],
          ['b', b],
        ] as const) {
          if (!open[name]) continue
          const response = await call(app, acme.key)
          if (response.statusCode === 200) admitted += 1
          else open[name] = false
        }
      }
      await deliverAndRefresh(a, b)
    }
    // (k - 1) x requests per replica per window, k = 2.
    expect(admitted).toBeGreaterThan(quota)
    expect(admitted).toBeLessThanOrEqual(quota + perWindow)
    expect(await storedRequests(acme.id)).toBe(admitted)
    // Both agree now that the figures are shared.
    expect((await call(a, acme.key)).statusCode).toBe(429)
    expect((await call(b, acme.key)).statusCode).toBe(429)
  })

  it('keeps the last known figures when metering is unreachable (fail open, local count)', async () => {
    const flaky = await startMetering(meteringDb)
    const app = await gatewayTo({ METERING_URL: flaky.url })
    const acme = await tenantWithQuota(app, 8)
    await ingestDirectly(acme.id, 5)
    expect((await call(app, acme.key)).statusCode).toBe(200)
    await app.usageQuotas.refresh()
    await flaky.app.close()

    await app.usageQuotas.refresh()
    // 5 from metering + 1 of its own: two more, counted here while metering cannot be asked.
    expect(await admittedUntilRefused(app, acme.key)).toBe(2)
    // Back on its port, so closing the gateway delivers what it holds.
    const back = await startMetering(meteringDb, { port: flaky.port })
    running.unshift(back.app)
  })

  it('lets an over-quota tenant read its own usage; refused requests are not usage', async () => {
    const app = await gatewayTo()
    const acme = await tenantWithQuota(app, 2)
    expect(await admittedUntilRefused(app, acme.key)).toBe(2)
    const summary = await call(app, acme.key, '/api/usage/summary')
    expect(summary.statusCode).toBe(200)
    await deliverAndRefresh(app)
    // Two tasks requests and the summary read; the refusal is not there.
    expect(await storedRequests(acme.id)).toBe(3)
  })

  it('has no quota on the enterprise plan unless overridden', async () => {
    const app = await gatewayTo()
    const big = await tenantWithQuota(app, null)
    await gatewayDb.db.update(clients).set({ plan: 'enterprise' }).where(eq(clients.id, big.id))
    expect(await admittedUntilRefused(app, big.key, 5)).toBe(5)
    const verify = await app.inject({ method: 'POST', url: '/api/keys/verify', payload: { key: big.key } })
    expect(verify.json()).toMatchObject({ valid: true, code: 'VALID' })
    expect(verify.json().usage).toBeUndefined()
    const view = await app.inject({
      method: 'GET',
      url: `/api/tenants/${big.id}`,
      headers: big.owner.headers,
    })
    expect(view.json()).toMatchObject({ plan: 'enterprise', monthlyRequestQuota: null })
    await gatewayDb.db.update(clients).set({ plan: 'free' }).where(eq(clients.id, big.id))
    expect(
      (await app.inject({ method: 'GET', url: `/api/tenants/${big.id}`, headers: big.owner.headers })).json(),
    ).toMatchObject({ monthlyRequestQuota: 100_000 })
  })

  it('starts again from zero when the UTC month turns (test clock)', async () => {
    const clock = createTestClock(new Date('2030-04-30T23:58:00.000Z'))
    const ownMetering = await startMetering(meteringDb, { clock })
    const app = await gatewayTo({ METERING_URL: ownMetering.url }, clock)
    try {
      const acme = await tenantWithQuota(app, 3, clock())
      expect(await admittedUntilRefused(app, acme.key)).toBe(3)
      const refused = await call(app, acme.key)
      expect(refused.headers['retry-after']).toBe('120')
      expect(refused.json().resetsAt).toBe('2030-05-01T00:00:00.000Z')
      await deliverAndRefresh(app)
      expect((await call(app, acme.key)).statusCode).toBe(429)

      clock.advance(3 * 60_000)
      await app.usageQuotas.refresh()
      expect(await admittedUntilRefused(app, acme.key)).toBe(3)
      expect((await call(app, acme.key)).json().resetsAt).toBe('2030-06-01T00:00:00.000Z')
    } finally {
      running.splice(running.indexOf(app), 1)
      await app.close()
      await ownMetering.app.close()
    }
  })
})

describe('usage alerts', () => {
  it('records the soft threshold and 100% once per period, readable at GET /api/usage/alerts', async () => {
    const app = await gatewayTo({ USAGE_FLUSH_INTERVAL_MS: '20', USAGE_QUOTA_REFRESH_MS: '50' })
    const acme = await tenantWithQuota(app, 10)
    const set = await app.inject({
      method: 'PUT',
      url: `/api/tenants/${acme.id}/usage-alert`,
      headers: acme.owner.headers,
      payload: { usageAlertPercent: 80 },
    })
    expect(set.statusCode).toBe(200)
    expect(set.json()).toEqual({ usageAlertPercent: 80 })

    for (let i = 0; i < 7; i += 1) expect((await call(app, acme.key)).statusCode).toBe(200)
    await deliverAndRefresh(app)
    expect(await alertRows(acme.id)).toEqual([])

    expect((await call(app, acme.key)).statusCode).toBe(200)
    // The background refresh (every 50 ms) finds 8 of 10.
    const crossed = await eventually(
      () => alertRows(acme.id),
      (rows) => rows.length > 0,
    )
    expect(crossed).toEqual([{ threshold_percent: 80, quota: '10', used: '8' }])

    const listed = await call(app, acme.key, '/api/usage/alerts')
    expect(listed.statusCode).toBe(200)
    expect(listed.json().alerts).toEqual([
      {
        id: expect.any(String),
        metric: 'api.request',
        periodStart: expect.stringMatching(/-01T00:00:00.000Z$/),
        thresholdPercent: 80,
        quota: '10',
        used: '8',
        crossedAt: expect.any(String),
      },
    ])

    // The read above was the 9th request; the 10th uses the quota up.
    expect((await call(app, acme.key)).statusCode).toBe(200)
    expect((await call(app, acme.key)).statusCode).toBe(429)
    const both = await eventually(
      () => alertRows(acme.id),
      (rows) => rows.length > 1,
    )
    expect(both.map((row) => row.threshold_percent)).toEqual([80, 100])
    // More refreshes (and a second gateway that never saw the first crossing) add nothing for this period.
    const second = await gatewayTo()
    await call(second, acme.key)
    await deliverAndRefresh(app, second)
    await deliverAndRefresh(app, second)
    expect((await alertRows(acme.id)).map((row) => row.threshold_percent)).toEqual([80, 100])

    const newest = await call(app, acme.key, '/api/usage/alerts')
    expect(newest.json().alerts.map((alert: { thresholdPercent: number }) => alert.thresholdPercent)).toEqual(
      [100, 80],
    )
  })

  it('lets owners and admins read and set the threshold, and refuses bad values', async () => {
    const app = await gatewayTo()
    const acme = await tenantWithQuota(app, 100)
    const member = await userOf(auth)
    await app.inject({
      method: 'PUT',
      url: `/api/tenants/${acme.id}/members/${member.id}`,
      headers: acme.owner.headers,
      payload: { role: 'member' },
    })
    const url = `/api/tenants/${acme.id}/usage-alert`
    expect((await app.inject({ method: 'GET', url, headers: acme.owner.headers })).json()).toEqual({
      usageAlertPercent: null,
    })
    for (const usageAlertPercent of [0, 101, 'x', 50.5, null, -1]) {
      const bad = await app.inject({
        method: 'PUT',
        url,
        headers: acme.owner.headers,
        payload: { usageAlertPercent },
      })
      expect(bad.statusCode).toBe(400)
      expect(bad.headers['content-type']).toContain('application/problem+json')
      expect(bad.json().code).toBe('TENANT_GATEWAY_VALIDATION_FAILED')
    }
    const missing = await app.inject({ method: 'PUT', url, headers: acme.owner.headers, payload: {} })
    expect(missing.statusCode).toBe(400)
    const forbidden = await app.inject({
      method: 'PUT',
      url,
      headers: member.headers,
      payload: { usageAlertPercent: 50 },
    })
    expect(forbidden.statusCode).toBe(403)
    expect((await app.inject({ method: 'GET', url, headers: member.headers })).statusCode).toBe(403)

    const cleared = await app.inject({ method: 'DELETE', url, headers: acme.owner.headers })
    expect(cleared.json()).toEqual({ usageAlertPercent: null })
    const view = await app.inject({ method: 'GET', url: `/api/tenants/${acme.id}`, headers: member.headers })
    expect(view.json()).toMatchObject({ monthlyRequestQuota: 100, usageAlertPercent: null })
  })

  it('refuses junk alert queries with METERING_ codes, through the gateway', async () => {
    const app = await gatewayTo()
    const acme = await tenantWithQuota(app, 100)
    for (const query of ['period=2030-13', 'from=yesterday', 'limit=0', 'limit=x', 'metric=Bad%20Metric']) {
      const response = await call(app, acme.key, `/api/usage/alerts?${query}`)
      expect(response.statusCode, query).toBe(400)
      expect(response.json().code, query).toBe('METERING_VALIDATION_FAILED')
    }
    const backwards = await call(
      app,
      acme.key,
      '/api/usage/alerts?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z',
    )
    expect(backwards.statusCode).toBe(400)
    expect(backwards.json().code).toBe('METERING_RANGE_INVALID')
  })
})

describe('usage metrics', () => {
  it('exports refusals, the usage buffer depth and drops on /metrics', async () => {
    const app = await gatewayTo({ USAGE_BUFFER_MAX: '3' })
    const acme = await tenantWithQuota(app, 4)
    expect(await admittedUntilRefused(app, acme.key)).toBe(4)
    await call(app, acme.key)
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body
    const value = (name: string) =>
      Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1])
    expect(value('gateway_usage_exceeded_total')).toBe(2)
    // Four answered, three held (the bound) and one dropped, since nothing was flushed.
    expect(value('gateway_usage_buffered')).toBe(3)
    expect(value('gateway_usage_dropped')).toBe(1)
    await app.flushPendingWrites()
    const after = (await app.inject({ method: 'GET', url: '/metrics' })).body
    expect(after).toMatch(/^gateway_usage_buffered(\{[^}]*\})? 0$/m)
  })
})
