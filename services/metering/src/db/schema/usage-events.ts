import { timestamptz } from '@gatehouse/db-kit/columns'
import { sql } from 'drizzle-orm'
import { check, jsonb, numeric, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core'

export const EVENT_SOURCES = ['gateway', 'tenant'] as const
export type EventSource = (typeof EVENT_SOURCES)[number]

/**
 * Seed 004 `usage_events`: the immutable raw history. Range-partitioned by month on occurred_at in the migration
 * (drizzle cannot express it), which is why the primary key carries occurred_at. Idempotency lives in
 * usage_event_keys: a unique key here would have to include occurred_at and miss duplicates across months.
 */
export const usageEvents = pgTable(
  'usage_events',
  {
    id: uuid().notNull().defaultRandom(),
    /** The gateway's clients.id. */
    tenantId: uuid().notNull(),
    metric: text().notNull(),
    quantity: numeric().notNull(),
    occurredAt: timestamptz().notNull(),
    receivedAt: timestamptz().notNull(),
    idempotencyKey: text().notNull(),
    source: text({ enum: EVENT_SOURCES }).notNull(),
    /** The API key the usage is attributed to, when there is one. */
    keyId: uuid(),
    properties: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    /** Set on a compensating event: the event it voids (same tenant, metric, key and occurred_at). */
    voidsEventId: uuid(),
    /** `key:<id>` or `user:<id>`: who voided. */
    voidedBy: text(),
    voidReason: text(),
  },
  (table) => [
    primaryKey({ columns: [table.tenantId, table.occurredAt, table.id] }),
    check('usage_events_source_check', sql`${table.source} in ('gateway', 'tenant')`),
    check(
      'usage_events_void_check',
      sql`(${table.voidsEventId} is null) = (${table.voidedBy} is null) and (${table.voidsEventId} is null) = (${table.voidReason} is null)`,
    ),
  ],
)

export type UsageEventRow = typeof usageEvents.$inferSelect
