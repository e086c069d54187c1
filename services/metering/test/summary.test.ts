import { randomUUID } from 'node:crypto'
import type { TestDb } from '@gatehouse/db-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newTenant, submitTenantEvents, tenantEvent, tenantGet } from './factories.ts'
import { asTenant, closeTestApp, openTestDb, startTestApp, type TestApp } from './fixtures.ts'

let db: TestDb
let t: TestApp
const tenant = newTenant()
const [keyA, keyB] = [randomUUID(), randomUUID()]

beforeAll(async () => {
  db = await openTestDb()
  t = await startTestApp(db)
  const storage = (occurredAt: string, quantity: string) =>
    tenantEvent({ metric: 'storage.gb_hours', occurredAt, quantity })
  await submitTenantEvents(
    t.app,
    tenant,
    [
      storage('2030-03-10T10:05:00Z', '1.5'),
      storage('2030-03-10T10:55:00Z', '2'),
      storage('2030-03-11T05:00:00Z', '4'),
      tenantEvent({ metric: 'emails.sent', occurredAt: '2030-03-10T10:10:00Z', quantity: '10' }),
    ],
    { keyId: keyA },
  )
  await submitTenantEvents(t.app, tenant, [storage('2030-03-10T10:30:00Z', '0.25')], { keyId: keyB })
  // Another tenant's usage at the same hours is not this tenant's.
  await submitTenantEvents(t.app, newTenant(), [storage('2030-03-10T10:05:00Z', '1000')], { keyId: keyA })
})
afterAll(() => closeTestApp(t, db))

async function summary(query: string) {
  return tenantGet(t.app, tenant, `/api/usage/summary?${query}`)
}

describe('GET /api/usage/summary', () => {
  it('sums by hour, day or month from the rollup', async () => {
    const hourly = await summary(
      'metric=storage.gb_hours&from=2030-03-10T00:00:00Z&to=2030-03-12T00:00:00Z&granularity=hour',
    )
    expect(hourly.statusCode).toBe(200)
    expect(hourly.json()).toEqual({
      metric: 'storage.gb_hours',
      granularity: 'hour',
      groupBy: null,
      from: '2030-03-10T00:00:00.000Z',
      to: '2030-03-12T00:00:00.000Z',
      buckets: [
        { start: '2030-03-10T10:00:00.000Z', metric: 'storage.gb_hours', quantity: '3.75', count: 3 },
        { start: '2030-03-11T05:00:00.000Z', metric: 'storage.gb_hours', quantity: '4', count: 1 },
      ],
    })
    const daily = await summary('from=2030-03-01T00:00:00Z&to=2030-04-01T00:00:00Z&granularity=day')
    expect(daily.json().buckets).toEqual([
      { start: '2030-03-10T00:00:00.000Z', metric: 'emails.sent', quantity: '10', count: 1 },
      { start: '2030-03-10T00:00:00.000Z', metric: 'storage.gb_hours', quantity: '3.75', count: 3 },
      { start: '2030-03-11T00:00:00.000Z', metric: 'storage.gb_hours', quantity: '4', count: 1 },
    ])
    const monthly = await summary(
      'metric=storage.gb_hours&from=2030-01-01T00:00:00Z&to=2030-12-01T00:00:00Z&granularity=month',
    )
    expect(monthly.json().buckets).toEqual([
      { start: '2030-03-01T00:00:00.000Z', metric: 'storage.gb_hours', quantity: '7.75', count: 4 },
    ])
  })

  it('groups by key', async () => {
    const byKey = await summary(
      'metric=storage.gb_hours&from=2030-03-10T00:00:00Z&to=2030-03-11T00:00:00Z&groupBy=key',
    )
    expect(byKey.json().groupBy).toBe('key')
    expect(byKey.json().buckets).toEqual(
      [
        {
          start: '2030-03-10T00:00:00.000Z',
          metric: 'storage.gb_hours',
          keyId: keyA,
          quantity: '3.5',
          count: 2,
        },
        {
          start: '2030-03-10T00:00:00.000Z',
          metric: 'storage.gb_hours',
          keyId: keyB,
          quantity: '0.25',
          count: 1,
        },
      ].sort((x, y) => x.keyId.localeCompare(y.keyId)),
    )
  })

  it('covers whole hours, says which, and defaults to this month up to now', async () => {
    const partial = await summary(
      'metric=storage.gb_hours&from=2030-03-10T10:40:00Z&to=2030-03-10T10:41:00Z&granularity=hour',
    )
    expect(partial.json()).toMatchObject({
      from: '2030-03-10T10:00:00.000Z',
      to: '2030-03-10T11:00:00.000Z',
      buckets: [{ quantity: '3.75', count: 3 }],
    })
    // The clock stands at 2030-03-15T12:00Z.
    const current = await summary('metric=emails.sent')
    expect(current.json()).toMatchObject({
      granularity: 'day',
      from: '2030-03-01T00:00:00.000Z',
      to: '2030-03-15T12:00:00.000Z',
      buckets: [{ quantity: '10' }],
    })
  })

  it('refuses empty, reversed or oversized ranges and bad parameters with 400', async () => {
    for (const query of [
      'from=2030-03-10T00:00:00Z&to=2030-03-10T00:00:00Z',
      'from=2030-03-10T00:00:00Z&to=2030-03-01T00:00:00Z',
      'from=2030-01-01T00:00:00Z&to=2030-03-01T00:00:00Z&granularity=hour',
      'from=2028-01-01T00:00:00Z&to=2030-03-01T00:00:00Z&granularity=day',
    ]) {
      const response = await summary(query)
      expect(response.statusCode).toBe(400)
      expect(response.json().code).toBe('METERING_RANGE_INVALID')
    }
    for (const query of ['granularity=week', 'from=yesterday', 'groupBy=metric', 'metric=Bad%20Metric']) {
      expect((await summary(query)).json().code).toBe('METERING_VALIDATION_FAILED')
    }
  })

  it('needs the tenant context', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/usage/summary' })
    expect(response.statusCode).toBe(401)
    const withContext = await t.app.inject({
      method: 'GET',
      url: '/api/usage/summary',
      headers: await asTenant(newTenant()),
    })
    expect(withContext.json().buckets).toEqual([])
  })
})
