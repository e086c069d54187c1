import { createdAt, id, timestamptz } from '@gatehouse/db-kit/columns'
import { sql } from 'drizzle-orm'
import { bigint, index, integer, pgTable, text, unique, uuid, varchar } from 'drizzle-orm/pg-core'

/**
 * The transactional outbox: a message is written in the transaction of the operation that caused it and
 * delivered by the worker after commit. A service re-exports this table from its schema to get it migrated.
 */
export const webhookOutbox = pgTable(
  'webhook_outbox',
  {
    id: id(),
    /** Insertion order, for paging a listing. */
    seq: bigint({ mode: 'number' }).generatedAlwaysAsIdentity().notNull(),
    /** `webhook-id`: the same on every attempt, so receivers can drop duplicates. */
    messageId: varchar({ length: 64 }).notNull(),
    /** Whose message it is; listings filter on it. */
    tenantId: uuid(),
    /** Opaque to this module: the owner's name for the endpoint, from which it resolves the signing secret. */
    endpointKey: varchar({ length: 200 }).notNull(),
    url: text().notNull(),
    eventType: varchar({ length: 100 }).notNull(),
    /** The exact bytes that are signed and sent. */
    body: text().notNull(),
    /** pending, delivered or failed (retries exhausted, 410 Gone, or a refused address). */
    status: varchar({ length: 20, enum: ['pending', 'delivered', 'failed'] })
      .notNull()
      .default('pending'),
    attempts: integer().notNull().default(0),
    nextAttemptAt: timestamptz().notNull(),
    /** A worker's lease on the message while it delivers; another worker takes it over after expiry. */
    lockedUntil: timestamptz(),
    lastAttemptAt: timestamptz(),
    lastResponseStatus: integer(),
    lastError: text(),
    deliveredAt: timestamptz(),
    createdAt: createdAt(),
  },
  (table) => [
    unique('webhook_outbox_message_id').on(table.messageId),
    index('idx_webhook_outbox_due').on(table.nextAttemptAt).where(sql`${table.status} = 'pending'`),
    index('idx_webhook_outbox_tenant_seq').on(table.tenantId, table.seq.desc()),
    index('idx_webhook_outbox_endpoint').on(table.endpointKey),
  ],
)

export type WebhookDelivery = typeof webhookOutbox.$inferSelect
export type DeliveryStatus = WebhookDelivery['status']
