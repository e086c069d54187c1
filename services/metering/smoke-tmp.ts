import { createTestDb } from '@gatehouse/db-kit/testing'
import { migrateDown, migrateUp } from '@gatehouse/db-kit'
const dir = new URL('./migrations', import.meta.url).pathname
const db = await createTestDb({ migrationsDir: dir, service: 'metering' })
try {
  console.log(db.kind, await db.raw.query(`select * from ensure_usage_events_partitions('2024-01-15', '2024-04-02')`))
  console.log(await db.raw.query(`select * from ensure_usage_events_partitions('2024-01-15', '2024-04-02')`))
  await db.raw.query(`insert into usage_events (tenant_id, metric, quantity, occurred_at, received_at, idempotency_key, source) values (gen_random_uuid(), 'x', 1, '2024-01-31T23:59:59Z', now(), 'k', 'tenant'), (gen_random_uuid(), 'x', 1, '2024-02-01T00:00:00Z', now(), 'k', 'tenant')`)
  console.log(await db.raw.query(`select tableoid::regclass::text, occurred_at from usage_events`))
  for (const s of ['update usage_events set metric = $$y$$', 'delete from usage_events', 'truncate usage_events', 'truncate usage_events_2024_01']) {
    try { await db.raw.exec(s); console.log('ALLOWED', s) } catch (e) { console.log('refused', s, (e as Error).message) }
  }
  console.log(await db.raw.query(`select * from drop_usage_events_partitions_older_than(2, '2024-04-10')`))
  console.log(await db.raw.query(`select tableoid::regclass::text, occurred_at from usage_events`))
  try { await db.raw.query(`select * from drop_usage_events_partitions_older_than(1)`) } catch (e) { console.log((e as Error).message) }
  console.log(await migrateDown(db, { migrationsDir: dir, service: 'metering', steps: 3 }))
  console.log(await migrateUp(db, { migrationsDir: dir, service: 'metering' }))
} finally { await db.close() }
