import { timestamptz } from '@gatehouse/db-kit/columns'
import { index, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core'

/**
 * The idempotency ledger: one row per (tenant, idempotency key), whatever month the event fell in. Not
 * partitioned, so a retry whose occurred_at lands in another month is still a duplicate. An insert claims its key
 * here first (ON CONFLICT DO NOTHING); only claimed keys reach usage_events and the rollup.
 */
export const usageEventKeys = pgTable(
  'usage_event_keys',
  {
    tenantId: uuid().notNull(),
    idempotencyKey: text().notNull(),
    eventId: uuid().notNull(),
    /** The event's occurred_at: where to find it, and what retention prunes by. */
    occurredAt: timestamptz().notNull(),
    receivedAt: timestamptz().notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.tenantId, table.idempotencyKey] }),
    // BRIN: keys arrive in time order, so retention's range delete finds them for almost no write cost.
    index('usage_event_keys_occurred_at_idx').using('brin', table.occurredAt),
  ],
)
