import type { FieldError } from '@gatehouse/service-kit'
import { isRejection, type NewEvent, type Rejection, type RejectReason } from './event-input.ts'
import type { EventStore } from './event-store.ts'

export interface EventAnswer {
  index: number
  status: 'accepted' | 'duplicate' | 'rejected'
  /** The stored event (for a duplicate: the one stored first), when known. */
  eventId: string | null
  reason?: RejectReason
  errors?: FieldError[]
}

/** A batch as submitted: each event read on its own; the readable ones stored in one statement. */
export async function ingestBatch(
  store: EventStore,
  raws: readonly unknown[],
  read: (raw: unknown) => NewEvent | Rejection,
  receivedAt: Date,
): Promise<EventAnswer[]> {
  const reads = raws.map(read)
  const events = reads.filter((value): value is NewEvent => !isRejection(value))
  const outcomes = await store.store(events, receivedAt)
  let next = 0
  return reads.map((value, index): EventAnswer => {
    if (isRejection(value)) {
      return {
        index,
        status: 'rejected',
        eventId: null,
        reason: value.rejected,
        ...(value.errors ? { errors: value.errors } : {}),
      }
    }
    const outcome = outcomes[next++]
    return { index, status: outcome?.status ?? 'duplicate', eventId: outcome?.eventId ?? null }
  })
}

export function countAnswers(answers: readonly EventAnswer[]) {
  const count = (status: EventAnswer['status']) => answers.filter((answer) => answer.status === status).length
  return { accepted: count('accepted'), duplicates: count('duplicate'), rejected: count('rejected') }
}
