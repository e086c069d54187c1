/**
 * `pnpm --filter @gatehouse/metering partitions`: creates the month partitions of usage_events from the oldest
 * month an event may still be accepted for to PARTITION_MONTHS_AHEAD months ahead (what the service does on start
 * and hourly), and lists them.
 */
import { configOrExit, loadConfig, openServiceDatabase, systemClock } from '@gatehouse/service-kit'
import { sql } from 'drizzle-orm'
import { configSchema } from '../src/config.ts'
import { selectRows } from '../src/db/rows.ts'
import { createPartitionKeeper } from '../src/partitions.ts'

const config = configOrExit('metering', () => loadConfig(configSchema, process.env))
const db = await openServiceDatabase('metering', config)
try {
  const keeper = createPartitionKeeper(db.db, {
    clock: systemClock,
    monthsAhead: config.PARTITION_MONTHS_AHEAD,
  })
  const created = await keeper.ensureAhead()
  for (const name of created) process.stdout.write(`created ${name}\n`)
  const all = await selectRows<{ name: string }>(
    db.db,
    sql`select c.relname::text as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'usage_events'::regclass order by 1`,
  )
  process.stdout.write(`partitions: ${all.map((row) => row.name).join(', ')}\n`)
} finally {
  await db.close()
}
