import type { Database } from '@gatehouse/db-kit'
import { and, eq } from 'drizzle-orm'
import { type UsageEventRow, usageEventKeys, usageEvents } from './db/schema/index.ts'
import { errors } from './errors.ts'
import { RESERVED_METRIC_PREFIX, VOID_KEY_PREFIX } from './event-input.ts'
import type { EventStore } from './event-store.ts'
import { windowCheck } from './windows.ts'

export interface VoidRequest {
  tenantId: string
  idempotencyKey: string
  /** `key:<id>` or `user:<id>`. */
  by: string
  reason: string
  now: Date
}

export interface VoidOutcome {
  original: UsageEventRow
  compensating: UsageEventRow
  /** false when the event had been voided before: voiding twice changes nothing. */
  created: boolean
}

/**
 * A correction that leaves history alone: a compensating event with the negated quantity at the original's
 * occurred_at (so the same hour of the rollup nets out), keyed `void:<event id>` in the same ledger, which is
 * what makes a second void a no-op, even two at once.
 */
export async function voidEvent(db: Database, store: EventStore, request: VoidRequest): Promise<VoidOutcome> {
  const original = await eventByKey(db, request.tenantId, request.idempotencyKey)
  if (!original) throw errors.EVENT_NOT_FOUND('No event of yours has this idempotency key.')
  if (original.voidsEventId) throw errors.VOID_NOT_ALLOWED('This event is itself a void.')
  if (original.source === 'gateway' || original.metric.startsWith(RESERVED_METRIC_PREFIX)) {
    throw errors.VOID_NOT_ALLOWED("The gateway's own usage events cannot be voided.")
  }
  const voidKey = `${VOID_KEY_PREFIX}${original.id}`
  const earlier = await eventByKey(db, request.tenantId, voidKey)
  if (earlier) return { original, compensating: earlier, created: false }
  if (windowCheck(original.occurredAt, request.now) === 'too_old') {
    throw errors.VOID_WINDOW_CLOSED('Events can be voided up to 35 days after they occurred.')
  }
  const [outcome] = await store.store(
    [
      {
        tenantId: original.tenantId,
        metric: original.metric,
        quantity: negate(original.quantity),
        occurredAt: original.occurredAt,
        idempotencyKey: voidKey,
        source: 'tenant',
        keyId: original.keyId,
        properties: {},
        void: { eventId: original.id, by: request.by, reason: request.reason },
      },
    ],
    request.now,
  )
  const compensating = await eventByKey(db, request.tenantId, voidKey)
  if (!compensating) throw new Error('the compensating event was not stored')
  return { original, compensating, created: outcome?.status === 'accepted' }
}

/** Through the ledger, which knows the month (partition) the event is in. */
async function eventByKey(db: Database, tenantId: string, idempotencyKey: string) {
  const [row] = await db
    .select({ event: usageEvents })
    .from(usageEventKeys)
    .innerJoin(
      usageEvents,
      and(
        eq(usageEvents.tenantId, usageEventKeys.tenantId),
        eq(usageEvents.occurredAt, usageEventKeys.occurredAt),
        eq(usageEvents.id, usageEventKeys.eventId),
      ),
    )
    .where(and(eq(usageEventKeys.tenantId, tenantId), eq(usageEventKeys.idempotencyKey, idempotencyKey)))
  return row?.event
}

function negate(quantity: string): string {
  return quantity.startsWith('-') ? quantity.slice(1) : `-${quantity}`
}
