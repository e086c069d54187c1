import type { Database } from '@gatehouse/db-kit'
import { and, desc, eq, inArray, isNull, lt, lte, ne, or, sql } from 'drizzle-orm'
import { type DeliveryStatus, type WebhookDelivery, webhookOutbox } from './schema.ts'
import { newMessageId } from './signing.ts'

export interface WebhookMessage {
  tenantId?: string | null
  /** The owner's name for the endpoint; `secretFor` receives it back at delivery time. */
  endpointKey: string
  url: string
  /** Standard Webhooks `type`, e.g. `invoice.paid`. */
  eventType: string
  data: unknown
}

/**
 * Writes a message into the outbox with `db`, which should be the transaction of the operation that caused it:
 * the message then exists exactly when the operation committed. Nothing is sent here.
 */
export async function enqueueWebhook(
  db: Database,
  message: WebhookMessage,
  options: { now: Date; firstDelayMs?: number },
): Promise<{ messageId: string; body: string }> {
  const messageId = newMessageId()
  // Standard Webhooks' recommended envelope.
  const body = JSON.stringify({
    type: message.eventType,
    timestamp: options.now.toISOString(),
    data: message.data,
  })
  await db.insert(webhookOutbox).values({
    messageId,
    tenantId: message.tenantId ?? null,
    endpointKey: message.endpointKey,
    url: message.url,
    eventType: message.eventType,
    body,
    nextAttemptAt: new Date(options.now.getTime() + (options.firstDelayMs ?? 0)),
    createdAt: options.now,
  })
  return { messageId, body }
}

/** Takes up to `limit` due messages for one attempt each, skipping those another worker holds. */
export async function claimDueMessages(
  db: Database,
  options: { now: Date; leaseMs: number; limit: number },
): Promise<WebhookDelivery[]> {
  const due = db
    .select({ id: webhookOutbox.id })
    .from(webhookOutbox)
    .where(
      and(
        eq(webhookOutbox.status, 'pending'),
        lte(webhookOutbox.nextAttemptAt, options.now),
        or(isNull(webhookOutbox.lockedUntil), lte(webhookOutbox.lockedUntil, options.now)),
      ),
    )
    .orderBy(webhookOutbox.nextAttemptAt)
    .limit(options.limit)
    .for('update', { skipLocked: true })
  return db
    .update(webhookOutbox)
    .set({
      lockedUntil: new Date(options.now.getTime() + options.leaseMs),
      attempts: sql`${webhookOutbox.attempts} + 1`,
      lastAttemptAt: options.now,
    })
    .where(inArray(webhookOutbox.id, due))
    .returning()
}

export type AttemptOutcome =
  | { status: 'delivered'; responseStatus: number }
  | { status: 'failed'; responseStatus?: number; error: string }
  | { status: 'pending'; responseStatus?: number; error: string; nextAttemptAt: Date }

export async function recordAttempt(db: Database, id: string, outcome: AttemptOutcome, now: Date) {
  await db
    .update(webhookOutbox)
    .set({
      status: outcome.status,
      lockedUntil: null,
      lastResponseStatus: outcome.responseStatus ?? null,
      lastError: outcome.status === 'delivered' ? null : outcome.error,
      ...(outcome.status === 'delivered' ? { deliveredAt: now } : {}),
      ...(outcome.status === 'pending' ? { nextAttemptAt: outcome.nextAttemptAt } : {}),
    })
    .where(eq(webhookOutbox.id, id))
}

/** A tenant's messages, newest first, paged by `beforeSeq`. */
export async function listWebhookDeliveries(
  db: Database,
  filter: {
    tenantId: string
    endpointKey?: string
    status?: DeliveryStatus
    beforeSeq?: number
    limit: number
  },
): Promise<WebhookDelivery[]> {
  return db
    .select()
    .from(webhookOutbox)
    .where(
      and(
        eq(webhookOutbox.tenantId, filter.tenantId),
        filter.endpointKey === undefined ? undefined : eq(webhookOutbox.endpointKey, filter.endpointKey),
        filter.status === undefined ? undefined : eq(webhookOutbox.status, filter.status),
        filter.beforeSeq === undefined ? undefined : lt(webhookOutbox.seq, filter.beforeSeq),
      ),
    )
    .orderBy(desc(webhookOutbox.seq))
    .limit(filter.limit)
}

/** Removes finished messages (delivered or failed) created before `before`; answers how many. */
export async function purgeWebhookOutbox(db: Database, before: Date): Promise<number> {
  const removed = await db
    .delete(webhookOutbox)
    .where(and(ne(webhookOutbox.status, 'pending'), lt(webhookOutbox.createdAt, before)))
    .returning({ id: webhookOutbox.id })
  return removed.length
}
