import { randomUUID } from 'node:crypto'
import type { TestDb } from '@gatehouse/db-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { gatewayEvent, newTenant, postGatewayEvents, submitTenantEvents, tenantEvent } from './factories.ts'
import { asGateway, asTenant, closeTestApp, openTestDb, startTestApp, type TestApp } from './fixtures.ts'

let db: TestDb
let t: TestApp
beforeAll(async () => {
  db = await openTestDb()
  t = await startTestApp(db)
})
afterAll(() => closeTestApp(t, db))

const DAY = 24 * 3600 * 1000

async function monthToDate(body: unknown) {
  return t.app.inject({
    method: 'POST',
    url: '/internal/usage/month-to-date',
    headers: await asGateway(),
    payload: body as Record<string, unknown>,
  })
}

describe('POST /internal/usage-events', () => {
  it('takes only the gateway service token, checked before the body is read', async () => {
    const body = { events: [gatewayEvent(newTenant())] }
    const attempts: Record<string, string>[] = [
      {},
      { 'x-internal-token': 'garbage' },
      await asGateway('qr-auth'),
      await asGateway('tenant-gateway', 'auth-api'),
      await asTenant(newTenant()),
    ]
    for (const headers of attempts) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/internal/usage-events',
        headers,
        payload: body,
      })
      expect(response.statusCode).toBe(401)
      expect(response.json().code).toBe('METERING_INTERNAL_AUTH_REQUIRED')
    }
    const unauthenticatedJunk = await t.app.inject({
      method: 'POST',
      url: '/internal/usage-events',
      headers: { 'content-type': 'application/json' },
      payload: '{not json',
    })
    expect(unauthenticatedJunk.statusCode).toBe(401)
    const [{ n }] = (await db.raw.query<{ n: number }>('select count(*)::int as n from usage_events')) as [
      { n: number },
    ]
    expect(n).toBe(0)
  })

  it("stores a batch of many tenants' events as the gateway's, and a resent batch counts nothing twice", async () => {
    const [a, b] = [newTenant(), newTenant()]
    const keyId = randomUUID()
    const now = t.clock()
    const events = [
      gatewayEvent(a, { keyId, occurredAt: now.toISOString() }),
      gatewayEvent(a, { keyId, occurredAt: now.toISOString() }),
      gatewayEvent(b, { occurredAt: now.toISOString() }),
      gatewayEvent(b, { tenantId: 'not-a-uuid' }),
      gatewayEvent(b, { occurredAt: new Date(now.getTime() - 40 * DAY).toISOString() }),
    ]
    const first = await postGatewayEvents(t.app, events)
    expect(first.statusCode).toBe(200)
    expect(first.json()).toEqual({
      accepted: 3,
      duplicates: 0,
      rejected: [
        { index: 3, reason: 'malformed', errors: [{ path: '/tenantId', message: expect.any(String) }] },
        { index: 4, reason: 'too_old' },
      ],
    })
    const again = await postGatewayEvents(t.app, events)
    expect(again.json()).toMatchObject({ accepted: 0, duplicates: 3 })
    const stored = await db.raw.query<{ tenant: string; source: string; key_id: string | null; n: number }>(
      `select tenant_id::text as tenant, source, key_id::text as key_id, count(*)::int as n
       from usage_events where tenant_id in ($1, $2) group by 1, 2, 3 order by n desc`,
      [a, b],
    )
    expect(stored).toEqual([
      { tenant: a, source: 'gateway', key_id: keyId, n: 2 },
      { tenant: b, source: 'gateway', key_id: null, n: 1 },
    ])
    const [rolled] = await db.raw.query<{ n: number }>(
      'select sum(event_count)::int as n from usage_rollups_hourly where tenant_id in ($1, $2)',
      [a, b],
    )
    expect(rolled!.n).toBe(3)
  })
})

describe('POST /internal/usage/month-to-date', () => {
  it("answers each tenant's use of the current UTC month from the rollup, zero for a tenant without any", async () => {
    const [busy, quiet, unknown] = [newTenant(), newTenant(), newTenant()]
    const now = t.clock()
    const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1) - 1000)
    await postGatewayEvents(t.app, [
      ...Array.from({ length: 5 }, () => gatewayEvent(busy, { occurredAt: now.toISOString() })),
      gatewayEvent(busy, { occurredAt: lastMonth.toISOString() }),
      gatewayEvent(quiet, { occurredAt: now.toISOString() }),
    ])
    await submitTenantEvents(t.app, busy, [tenantEvent({ metric: 'emails.sent', quantity: '7.5' })])

    const response = await monthToDate({ tenantIds: [busy, quiet, unknown] })
    expect(response.statusCode).toBe(200)
    const body = response.json()
    expect(body).toMatchObject({
      metric: 'api.request',
      periodStart: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString(),
      periodEnd: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString(),
      asOf: now.toISOString(),
    })
    expect(body.usage).toEqual([
      { tenantId: busy, quantity: '5', count: 5 },
      { tenantId: quiet, quantity: '1', count: 1 },
      { tenantId: unknown, quantity: '0', count: 0 },
    ])
    const emails = await monthToDate({ tenantIds: [busy], metric: 'emails.sent' })
    expect(emails.json().usage).toEqual([{ tenantId: busy, quantity: '7.5', count: 1 }])
  })

  it('starts again at zero when the clock enters the next month', async () => {
    const tenant = newTenant()
    await postGatewayEvents(t.app, [gatewayEvent(tenant, { occurredAt: t.clock().toISOString() })])
    const back = t.clock()
    const now = t.clock()
    t.clock.set(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)))
    try {
      expect((await monthToDate({ tenantIds: [tenant] })).json().usage).toEqual([
        { tenantId: tenant, quantity: '0', count: 0 },
      ])
    } finally {
      t.clock.set(back)
    }
  })

  it('validates its input and needs the gateway token', async () => {
    for (const body of [
      { tenantIds: [] },
      { tenantIds: ['x'] },
      { tenantIds: Array(1001).fill(randomUUID()) },
      {},
    ]) {
      const response = await monthToDate(body)
      expect(response.statusCode).toBe(400)
      expect(response.json().code).toBe('METERING_VALIDATION_FAILED')
    }
    const anonymous = await t.app.inject({
      method: 'POST',
      url: '/internal/usage/month-to-date',
      payload: { tenantIds: [newTenant()] },
    })
    expect(anonymous.statusCode).toBe(401)
  })
})
