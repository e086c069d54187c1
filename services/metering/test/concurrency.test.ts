import { randomUUID } from 'node:crypto'
import { createDb, type DbHandle } from '@gatehouse/db-kit'
import { openPoolConnections, type TestDb } from '@gatehouse/db-kit/testing'
import { createTestClock } from '@gatehouse/service-kit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { gatewayEvent, newTenant, postGatewayEvents, submitTenantEvents, tenantEvent } from './factories.ts'
import { asTenant, closeTestApp, openTestDb, startTestApp, TEST_START, type TestApp } from './fixtures.ts'

// Real concurrency needs separate connections: PostgreSQL only (PGlite has one).
describe.runIf(process.env.TEST_DATABASE_URL)('concurrent ingest on PostgreSQL', () => {
  let db: TestDb
  let other: DbHandle
  let t: TestApp
  let replica: TestApp

  beforeAll(async () => {
    db = await openTestDb()
    other = await createDb({ url: db.url!, max: 5 })
    t = await startTestApp(db)
    // A second replica: its own pool and its own partition cache.
    replica = await startTestApp(other as TestDb, { clock: createTestClock(TEST_START) })
    await Promise.all([openPoolConnections(db, 5), openPoolConnections(other, 5)])
  })
  afterAll(async () => {
    await replica?.app.close()
    await other?.close()
    await closeTestApp(t, db)
  })

  const count = async (sql: string, params: unknown[]) =>
    (await db.raw.query<{ n: number }>(sql, params))[0]!.n

  it('stores a batch sent six times at once exactly once, rollup included', async () => {
    const tenants = [newTenant(), newTenant(), newTenant()]
    const at = TEST_START.toISOString()
    const batch = Array.from({ length: 300 }, (_, i) => gatewayEvent(tenants[i % 3]!, { occurredAt: at }))
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => postGatewayEvents(i % 2 ? replica.app : t.app, batch)),
    )
    const bodies = answers.map((response) => {
      expect(response.statusCode).toBe(200)
      return response.json() as { accepted: number; duplicates: number }
    })
    expect(bodies.reduce((sum, body) => sum + body.accepted, 0)).toBe(300)
    expect(bodies.reduce((sum, body) => sum + body.duplicates, 0)).toBe(1500)
    expect(
      await count('select count(*)::int as n from usage_events where tenant_id = any($1::uuid[])', [tenants]),
    ).toBe(300)
    expect(
      await count(
        'select sum(event_count)::int as n from usage_rollups_hourly where tenant_id = any($1::uuid[])',
        [tenants],
      ),
    ).toBe(300)
  })

  it('never deadlocks on batches that share keys and rollup buckets in opposite orders', async () => {
    const tenants = Array.from({ length: 20 }, () => newTenant())
    const hours = [0, 1, 2].map((h) => new Date(TEST_START.getTime() - h * 3600_000).toISOString())
    const events = tenants.flatMap((tenant) =>
      hours.map((occurredAt) => gatewayEvent(tenant, { occurredAt })),
    )
    const orders = [events, [...events].reverse(), [...events.slice(30), ...events.slice(0, 30)]]
    const answers = await Promise.all(
      Array.from({ length: 9 }, (_, i) => postGatewayEvents(i % 2 ? replica.app : t.app, orders[i % 3]!)),
    )
    expect(answers.map((response) => response.statusCode)).toEqual(Array(9).fill(200))
    expect(
      await count(
        'select sum(event_count)::int as n from usage_rollups_hourly where tenant_id = any($1::uuid[])',
        [tenants],
      ),
    ).toBe(events.length)
  })

  it('two replicas meeting a new month at once create its partition once and keep every event', async () => {
    for (const app of [t, replica]) app.clock.set(new Date('2031-11-01T00:00:30.000Z'))
    try {
      const tenant = newTenant()
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          submitTenantEvents(i % 2 ? replica.app : t.app, tenant, [
            tenantEvent({ occurredAt: '2031-11-01T00:00:10.000Z' }),
          ]),
        ),
      )
      expect(answers.map((answer) => answer.accepted)).toEqual(Array(6).fill(1))
      expect(
        await count(`select count(*)::int as n from pg_class where relname = 'usage_events_2031_11'`, []),
      ).toBe(1)
      expect(await count('select count(*)::int as n from usage_events where tenant_id = $1', [tenant])).toBe(
        6,
      )
    } finally {
      for (const app of [t, replica]) app.clock.set(TEST_START)
    }
  })

  it('voids an event once when the void is asked twice at once', async () => {
    const tenant = newTenant()
    const event = tenantEvent({ quantity: '9' })
    await submitTenantEvents(t.app, tenant, [event])
    const headers = await asTenant(tenant, { keyId: randomUUID() })
    const answers = await Promise.all(
      [t.app, replica.app, t.app, replica.app].map((app) =>
        app.inject({
          method: 'POST',
          url: `/api/usage/events/${event.idempotencyKey}/void`,
          headers,
          payload: { reason: 'duplicate charge' },
        }),
      ),
    )
    expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 201])
    expect(new Set(answers.map((r) => r.json().void.id)).size).toBe(1)
    expect(await count('select count(*)::int as n from usage_events where tenant_id = $1', [tenant])).toBe(2)
    expect(
      await count('select sum(event_count)::int as n from usage_rollups_hourly where tenant_id = $1', [
        tenant,
      ]),
    ).toBe(0)
  })
})
