import { randomUUID } from 'node:crypto'
import type { TestDb } from '@gatehouse/db-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newTenant, submitTenantEvents, tenantEvent } from './factories.ts'
import { asTenant, closeTestApp, openTestDb, startTestApp, type TestApp } from './fixtures.ts'

let db: TestDb
let t: TestApp
beforeAll(async () => {
  db = await openTestDb()
  t = await startTestApp(db)
})
afterAll(() => closeTestApp(t, db))

const DAY = 24 * 3600 * 1000

async function storedEvents(tenantId: string) {
  return db.raw.query<{
    idempotency_key: string
    metric: string
    quantity: string
    source: string
    key_id: string | null
  }>(
    `select idempotency_key, metric, quantity::text as quantity, source, key_id::text as key_id
     from usage_events where tenant_id = $1 order by occurred_at, idempotency_key`,
    [tenantId],
  )
}

async function rollup(tenantId: string) {
  return db.raw.query<{ metric: string; hour: string; quantity: string; event_count: number }>(
    `select metric, to_char(hour at time zone 'UTC', 'YYYY-MM-DD"T"HH24') as hour, quantity::text as quantity,
       event_count::int as event_count
     from usage_rollups_hourly where tenant_id = $1 order by hour, metric`,
    [tenantId],
  )
}

describe('POST /api/usage/events', () => {
  it("stores a tenant's batch under the tenant and key of the signed context, answering per event", async () => {
    const tenant = newTenant()
    const keyId = randomUUID()
    const events = [
      tenantEvent({ quantity: '2.5', properties: { region: 'eu', nested: { a: [1, 2] } } }),
      tenantEvent({ metric: 'emails.sent', quantity: 3 }),
    ]
    const answer = await submitTenantEvents(t.app, tenant, events, { keyId })
    expect(answer).toMatchObject({ accepted: 2, duplicates: 0, rejected: 0 })
    expect(answer.results.map((r) => [r.index, r.status, r.idempotencyKey])).toEqual([
      [0, 'accepted', events[0]!.idempotencyKey],
      [1, 'accepted', events[1]!.idempotencyKey],
    ])
    expect(answer.results.every((r) => typeof r.eventId === 'string')).toBe(true)
    const stored = await storedEvents(tenant)
    expect(stored).toHaveLength(2)
    expect(stored.every((row) => row.source === 'tenant' && row.key_id === keyId)).toBe(true)
    const [properties] = await db.raw.query<{ properties: string }>(
      'select properties::text as properties from usage_events where tenant_id = $1 and quantity = 2.5',
      [tenant],
    )
    expect(JSON.parse(properties!.properties)).toEqual({ region: 'eu', nested: { a: [1, 2] } })
  })

  it('rejects bad events one by one with a reason and still stores the rest of the batch', async () => {
    const tenant = newTenant()
    const now = t.clock()
    const good = tenantEvent()
    const answer = await submitTenantEvents(t.app, tenant, [
      tenantEvent({ quantity: 1.5 }),
      tenantEvent({ metric: 'Not A Metric' }),
      { metric: 'storage.gb_hours', quantity: '1' },
      good,
      tenantEvent({ metric: 'api.request' }),
      tenantEvent({ occurredAt: new Date(now.getTime() - 36 * DAY).toISOString() }),
      tenantEvent({ occurredAt: new Date(now.getTime() + 6 * 60 * 1000).toISOString() }),
      tenantEvent({ properties: { note: 'half a pair \ud800 here' } }),
      tenantEvent({ idempotencyKey: 'void:abc' }),
      'not an object',
      tenantEvent({ quantity: '-1' }),
    ])
    expect(answer).toMatchObject({ accepted: 1, duplicates: 0, rejected: 10 })
    const reasons = answer.results.map((r) => r.reason ?? r.status)
    expect(reasons).toEqual([
      'malformed',
      'malformed',
      'malformed',
      'accepted',
      'reserved_metric',
      'too_old',
      'too_far_in_future',
      'malformed',
      'malformed',
      'malformed',
      'malformed',
    ])
    expect(answer.results[1]!.errors?.[0]?.path).toBe('/metric')
    expect(answer.results[2]!.errors?.map((e) => e.path)).toContain('/idempotencyKey')
    expect(answer.results[7]!.errors?.[0]?.path).toBe('/properties')
    expect((await storedEvents(tenant)).map((row) => row.idempotency_key)).toEqual([good.idempotencyKey])
  })

  it('accepts events up to 35 days old and 5 minutes ahead of the clock, and not a millisecond beyond', async () => {
    const tenant = newTenant()
    const at = new Date(t.clock().getTime() - 2 * DAY)
    const oldest = tenantEvent({ occurredAt: at.toISOString() })
    t.clock.advance(35 * DAY - 2 * DAY)
    const tooOld = tenantEvent({ occurredAt: new Date(at.getTime() - 1).toISOString() })
    const ahead = tenantEvent({ occurredAt: new Date(t.clock().getTime() + 5 * 60 * 1000).toISOString() })
    const tooEarly = tenantEvent({
      occurredAt: new Date(t.clock().getTime() + 5 * 60 * 1000 + 1).toISOString(),
    })
    try {
      const answer = await submitTenantEvents(t.app, tenant, [oldest, tooOld, ahead, tooEarly])
      expect(answer.results.map((r) => r.reason ?? r.status)).toEqual([
        'accepted',
        'too_old',
        'accepted',
        'too_far_in_future',
      ])
    } finally {
      t.clock.advance(-(35 * DAY - 2 * DAY))
    }
  })

  it('answers a duplicate for a key seen before, in the same batch or an earlier one, and counts it once', async () => {
    const tenant = newTenant()
    const event = tenantEvent({ quantity: '4' })
    const first = await submitTenantEvents(t.app, tenant, [event, { ...event, quantity: '100' }])
    expect(first.results.map((r) => r.status)).toEqual(['accepted', 'duplicate'])
    expect(first.results[1]!.eventId).toBe(first.results[0]!.eventId)
    const retry = await submitTenantEvents(t.app, tenant, [event])
    expect(retry).toMatchObject({ accepted: 0, duplicates: 1 })
    expect(retry.results[0]!.eventId).toBe(first.results[0]!.eventId)
    expect(await storedEvents(tenant)).toHaveLength(1)
    expect(await rollup(tenant)).toMatchObject([{ quantity: '4', event_count: 1 }])
  })

  it('treats a retry whose occurredAt falls in another month as the duplicate it is', async () => {
    const tenant = newTenant()
    const key = `order-${randomUUID()}`
    // The clock stands on the 2nd of April; the first attempt was stamped on the 31st of March.
    const back = t.clock()
    t.clock.set(new Date('2030-04-02T10:00:00.000Z'))
    try {
      const march = await submitTenantEvents(t.app, tenant, [
        tenantEvent({ idempotencyKey: key, occurredAt: '2030-03-31T23:59:59.999Z' }),
      ])
      const april = await submitTenantEvents(t.app, tenant, [
        tenantEvent({ idempotencyKey: key, occurredAt: '2030-04-01T00:00:00.000Z' }),
        tenantEvent({ idempotencyKey: key }),
      ])
      expect(march.results[0]!.status).toBe('accepted')
      expect(april.results.map((r) => r.status)).toEqual(['duplicate', 'duplicate'])
      expect(april.results[0]!.eventId).toBe(march.results[0]!.eventId)
      const rows = await db.raw.query<{ partition: string }>(
        'select tableoid::regclass::text as partition from usage_events where tenant_id = $1',
        [tenant],
      )
      expect(rows).toEqual([{ partition: 'usage_events_2030_03' }])
      expect(await rollup(tenant)).toEqual([
        { metric: 'storage.gb_hours', hour: '2030-03-31T23', quantity: '1', event_count: 1 },
      ])
    } finally {
      t.clock.set(back)
    }
  })

  it('keeps keys per tenant: another tenant may use the same key', async () => {
    const key = `shared-${randomUUID()}`
    const [a, b] = [newTenant(), newTenant()]
    expect((await submitTenantEvents(t.app, a, [tenantEvent({ idempotencyKey: key })])).accepted).toBe(1)
    expect((await submitTenantEvents(t.app, b, [tenantEvent({ idempotencyKey: key })])).accepted).toBe(1)
  })

  it('keeps the hourly rollup exact, late events included, without floating point', async () => {
    const tenant = newTenant()
    const hour = new Date(t.clock().getTime() - 3 * DAY)
    hour.setUTCMinutes(0, 0, 0)
    const at = (minutes: number) => new Date(hour.getTime() + minutes * 60_000).toISOString()
    await submitTenantEvents(t.app, tenant, [
      tenantEvent({ quantity: '0.1', occurredAt: at(5) }),
      tenantEvent({ quantity: '0.2', occurredAt: at(59) }),
      tenantEvent({ quantity: '0.000000000001', occurredAt: at(60) }),
    ])
    const before = await rollup(tenant)
    expect(before.map((row) => [row.quantity, row.event_count])).toEqual([
      ['0.3', 2],
      ['0.000000000001', 1],
    ])
    // A late event for an hour already rolled up adds to it.
    await submitTenantEvents(t.app, tenant, [
      tenantEvent({ quantity: '999999999999999999.5', occurredAt: at(30) }),
    ])
    const after = await rollup(tenant)
    expect(after.map((row) => [row.quantity, row.event_count])).toEqual([
      ['999999999999999999.8', 3],
      ['0.000000000001', 1],
    ])
  })

  it('creates the month partition on demand for an accepted event of a month not made ahead', async () => {
    const tenant = newTenant()
    const back = t.clock()
    t.clock.set(new Date('2031-07-01T00:01:00.000Z'))
    try {
      const exists = async (name: string) =>
        (await db.raw.query<{ found: boolean }>('select to_regclass($1) is not null as found', [name]))[0]!
          .found
      expect(await exists('usage_events_2031_06')).toBe(false)
      expect(await exists('usage_events_2031_07')).toBe(false)
      const answer = await submitTenantEvents(t.app, tenant, [
        tenantEvent({ occurredAt: '2031-06-30T23:59:00.000Z' }),
        tenantEvent({ occurredAt: '2031-07-01T00:05:00.000Z' }),
      ])
      expect(answer.accepted).toBe(2)
      expect(await exists('usage_events_2031_06')).toBe(true)
      expect(await exists('usage_events_2031_07')).toBe(true)
    } finally {
      t.clock.set(back)
    }
  })

  it('makes a partition again when one it had made was dropped by hand, and stores the event', async () => {
    const tenant = newTenant()
    const back = t.clock()
    t.clock.set(new Date('2031-09-15T00:00:00.000Z'))
    try {
      expect((await submitTenantEvents(t.app, tenant, [tenantEvent()])).accepted).toBe(1)
      await db.raw.exec('drop table usage_events_2031_09')
      const again = await submitTenantEvents(t.app, tenant, [tenantEvent()])
      expect(again.accepted).toBe(1)
      const [row] = await db.raw.query<{ n: number }>(
        'select count(*)::int as n from usage_events_2031_09 where tenant_id = $1',
        [tenant],
      )
      expect(row!.n).toBe(1)
    } finally {
      t.clock.set(back)
    }
  })

  it('refuses a request without the gateway context, and malformed envelopes, with problem+json', async () => {
    const anonymous = await t.app.inject({
      method: 'POST',
      url: '/api/usage/events',
      payload: { events: [tenantEvent()] },
    })
    expect(anonymous.statusCode).toBe(401)
    expect(anonymous.json().code).toBe('METERING_CALLER_REQUIRED')
    const forged = await t.app.inject({
      method: 'POST',
      url: '/api/usage/events',
      headers: { 'x-gatehouse-context': 'not-a-token' },
      payload: { events: [tenantEvent()] },
    })
    expect(forged.statusCode).toBe(401)
    const tenant = newTenant()
    const headers = await asTenant(tenant)
    for (const payload of [
      { events: [] },
      { events: Array.from({ length: 1001 }, () => tenantEvent()) },
      { event: {} },
    ]) {
      const response = await t.app.inject({ method: 'POST', url: '/api/usage/events', headers, payload })
      expect(response.statusCode).toBe(400)
      expect(response.headers['content-type']).toContain('application/problem+json')
      expect(response.json().code).toBe('METERING_VALIDATION_FAILED')
    }
    expect(await storedEvents(tenant)).toEqual([])
  })
})
