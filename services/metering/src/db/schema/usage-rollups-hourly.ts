import { timestamptz } from '@gatehouse/db-kit/columns'
import { bigint, numeric, pgTable, text, unique, uuid } from 'drizzle-orm/pg-core'

/**
 * Sum and count per (tenant, metric, key, UTC hour), upserted in the statement that inserts the events, from the
 * rows really inserted. A void adds its negative quantity and -1 to the count, so both net out here.
 */
export const usageRollupsHourly = pgTable(
  'usage_rollups_hourly',
  {
    tenantId: uuid().notNull(),
    metric: text().notNull(),
    keyId: uuid(),
    hour: timestamptz().notNull(),
    quantity: numeric().notNull(),
    eventCount: bigint({ mode: 'number' }).notNull(),
  },
  (table) => [
    // hour before key_id: summaries and month-to-date read a range of hours of one tenant and metric.
    unique('usage_rollups_hourly_bucket_key')
      .on(table.tenantId, table.metric, table.hour, table.keyId)
      .nullsNotDistinct(),
  ],
)
