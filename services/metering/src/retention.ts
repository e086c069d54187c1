import type { Database } from '@gatehouse/db-kit'
import { sql } from 'drizzle-orm'
import { selectRows } from './db/rows.ts'

export interface DroppedPartition {
  partition: string
  from: string
  to: string
  events: number
}

/** drop_usage_events_partitions_older_than: whole months only, at least 2 kept (the function refuses fewer). */
export function dropOldPartitions(
  db: Database,
  options: { keepMonths: number; at: Date; dryRun: boolean },
): Promise<DroppedPartition[]> {
  return selectRows<DroppedPartition>(
    db,
    sql`select partition_name as partition, to_char(range_start at time zone 'UTC', 'YYYY-MM-DD') as "from",
      to_char(range_end at time zone 'UTC', 'YYYY-MM-DD') as "to", event_count::int as events
    from drop_usage_events_partitions_older_than(${options.keepMonths}::int, ${options.at.toISOString()}::timestamptz,
      ${options.dryRun}::boolean)`,
  )
}
