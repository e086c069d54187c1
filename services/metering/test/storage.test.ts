import { migrateDown, migrateUp } from '@gatehouse/db-kit'
import type { TestDb } from '@gatehouse/db-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newTenant, submitTenantEvents, tenantEvent } from './factories.ts'
import { closeTestApp, MIGRATIONS_DIR, openTestDb, startTestApp, type TestApp } from './fixtures.ts'

let db: TestDb
let t: TestApp
beforeAll(async () => {
  db = await openTestDb()
  t = await startTestApp(db)
})
afterAll(() => closeTestApp(t, db))

async function partitions(): Promise<string[]> {
  const rows = await db.raw.query<{ name: string }>(
    `select c.relname::text as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
     where i.inhparent = 'usage_events'::regclass order by 1`,
  )
  return rows.map((row) => row.name)
}

async function refusal(statement: string): Promise<string> {
  try {
    await db.raw.exec(statement)
  } catch (error) {
    return (error as Error).message
  }
  return 'allowed'
}

describe('usage_events in the database', () => {
  it('has the months an event may be accepted for, and two ahead, as soon as the service is ready', async () => {
    // The clock stands at 2030-03-15: 35 days back is in February.
    expect(await partitions()).toEqual(
      expect.arrayContaining([
        'usage_events_2030_02',
        'usage_events_2030_03',
        'usage_events_2030_04',
        'usage_events_2030_05',
      ]),
    )
    const [index] = await db.raw.query<{ n: number }>(
      `select count(*)::int as n from pg_indexes where tablename = 'usage_events_2030_03' and indexdef like '%(tenant_id, occurred_at, id)%'`,
    )
    expect(index!.n).toBe(1)
  })

  it('refuses UPDATE, DELETE and TRUNCATE of events, on the table and on a partition, for any role', async () => {
    const tenant = newTenant()
    await submitTenantEvents(t.app, tenant, [tenantEvent({ quantity: '5' })])
    expect(await refusal(`update usage_events set quantity = 1 where tenant_id = '${tenant}'`)).toMatch(
      /append-only: UPDATE/,
    )
    expect(
      await refusal(`update usage_events_2030_03 set quantity = 1 where tenant_id = '${tenant}'`),
    ).toMatch(/append-only: UPDATE/)
    expect(await refusal(`delete from usage_events where tenant_id = '${tenant}'`)).toMatch(
      /append-only: DELETE/,
    )
    expect(await refusal('delete from usage_events_2030_03')).toMatch(/append-only: DELETE/)
    expect(await refusal('truncate usage_events')).toMatch(/append-only: TRUNCATE/)
    expect(await refusal('truncate usage_events_2030_03')).toMatch(/append-only: TRUNCATE/)
    const [row] = await db.raw.query<{ quantity: string }>(
      'select quantity::text as quantity from usage_events where tenant_id = $1',
      [tenant],
    )
    expect(row!.quantity).toBe('5')
  })

  it('makes a partition once, however often or concurrently it is asked for', async () => {
    const asked = await Promise.all(
      Array.from({ length: 4 }, () =>
        db.raw.query<{ created: string | null }>(
          `select create_usage_events_partition('2032-02-10T00:00:00Z') as created`,
        ),
      ),
    )
    expect(asked.map(([row]) => row!.created).filter(Boolean)).toEqual(['usage_events_2032_02'])
  })

  it('cuts partitions on UTC months whatever the session time zone', async () => {
    await db.raw.transaction(async (tx) => {
      await tx.exec("set local timezone = 'America/New_York'")
      await tx.query(`select create_usage_events_partition('2032-05-31T23:00:00Z')`)
    })
    const insertAt = async (at: string) => {
      const [row] = await db.raw.query<{ partition: string }>(
        `insert into usage_events (tenant_id, metric, quantity, occurred_at, received_at, idempotency_key, source)
         values (gen_random_uuid(), 'm', 1, $1, now(), 'k', 'tenant') returning tableoid::regclass::text as partition`,
        [at],
      )
      return row!.partition
    }
    expect(await insertAt('2032-05-01T00:00:00Z')).toBe('usage_events_2032_05')
    expect(await insertAt('2032-05-31T23:59:59.999Z')).toBe('usage_events_2032_05')
    await expect(insertAt('2032-06-01T00:00:00Z')).rejects.toThrow(/no partition/)
    await expect(insertAt('2032-04-30T23:59:59.999Z')).rejects.toThrow(/no partition/)
  })

  it('retention drops whole months older than asked, says what it dropped, and forgets their keys', async () => {
    await db.raw.query(
      `select ensure_usage_events_partitions('2029-01-01T00:00:00Z', '2029-04-01T00:00:00Z')`,
    )
    const tenant = newTenant()
    for (const [key, at] of [
      ['jan', '2029-01-20T00:00:00Z'],
      ['jan-2', '2029-01-31T23:59:59Z'],
      ['feb', '2029-02-10T00:00:00Z'],
      ['apr', '2029-04-01T00:00:00Z'],
    ]) {
      await db.raw.query(
        `insert into usage_event_keys (tenant_id, idempotency_key, event_id, occurred_at, received_at)
         values ($1, $2, gen_random_uuid(), $3, $3)`,
        [tenant, key, at],
      )
      await db.raw.query(
        `insert into usage_events (tenant_id, metric, quantity, occurred_at, received_at, idempotency_key, source)
         values ($1, 'storage.gb_hours', 1, $3, $3, $2, 'tenant')`,
        [tenant, key, at],
      )
    }
    // At 2029-05-10, keeping 3 months keeps February, March and April onwards.
    const planned = await db.raw.query<{ partition_name: string }>(
      `select partition_name from drop_usage_events_partitions_older_than(3, '2029-05-10T00:00:00Z', dry_run => true)`,
    )
    expect(planned).toEqual([{ partition_name: 'usage_events_2029_01' }])
    expect(await partitions()).toContain('usage_events_2029_01')
    const dropped = await db.raw.query<{
      partition_name: string
      range_start: Date
      range_end: Date
      event_count: number
    }>(
      `select partition_name, range_start, range_end, event_count::int as event_count
       from drop_usage_events_partitions_older_than(3, '2029-05-10T00:00:00Z')`,
    )
    expect(dropped).toEqual([
      {
        partition_name: 'usage_events_2029_01',
        range_start: new Date('2029-01-01T00:00:00Z'),
        range_end: new Date('2029-02-01T00:00:00Z'),
        event_count: 2,
      },
    ])
    expect(await partitions()).not.toContain('usage_events_2029_01')
    expect(await partitions()).toContain('usage_events_2029_02')
    const keys = await db.raw.query<{ idempotency_key: string }>(
      'select idempotency_key from usage_event_keys where tenant_id = $1 order by 1',
      [tenant],
    )
    expect(keys.map((row) => row.idempotency_key)).toEqual(['apr', 'feb'])
    const again = await db.raw.query(
      `select * from drop_usage_events_partitions_older_than(3, '2029-05-10T00:00:00Z')`,
    )
    expect(again).toEqual([])
  })

  it('retention refuses to keep less than two months', async () => {
    for (const months of [1, 0, -5]) {
      expect(await refusal(`select * from drop_usage_events_partitions_older_than(${months})`)).toMatch(
        /keep at least 2 months/,
      )
    }
  })
})

describe('metering migrations', () => {
  it('revert and apply again cleanly, partitions included', async () => {
    const scratch = await openTestDb()
    try {
      await scratch.raw.query(`select ensure_usage_events_partitions(now(), now())`)
      const options = { migrationsDir: MIGRATIONS_DIR, service: 'metering' }
      expect((await migrateDown(scratch, { ...options, steps: 4 })).reverted).toHaveLength(4)
      const [left] = await scratch.raw.query<{ n: number }>(
        `select count(*)::int as n from pg_class where relname like 'usage_%' and relkind in ('r', 'p')`,
      )
      expect(left!.n).toBe(0)
      expect((await migrateUp(scratch, options)).applied).toHaveLength(4)
    } finally {
      await scratch.close()
    }
  })
})
