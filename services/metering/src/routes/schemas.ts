import Type from 'typebox'
import { EVENT_SOURCES } from '../db/schema/index.ts'
import { REJECT_REASONS } from '../event-input.ts'

/** Handlers return Date objects; fast-json-stringify writes them as ISO strings. */
export const Timestamp = Type.Unsafe<Date>(Type.String({ format: 'date-time' }))
export const Uuid = Type.String({ format: 'uuid' })
export const NullableUuid = Type.Union([Uuid, Type.Null()])
export const Source = Type.Enum(EVENT_SOURCES)

export const FieldErrors = Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))
export const RejectReason = Type.Enum(REJECT_REASONS)

export const EventView = Type.Object({
  id: Uuid,
  metric: Type.String(),
  /** numeric, as a string: never a float. */
  quantity: Type.String(),
  occurredAt: Timestamp,
  receivedAt: Timestamp,
  idempotencyKey: Type.String(),
  source: Source,
  keyId: NullableUuid,
  properties: Type.Record(Type.String(), Type.Unknown()),
  voidsEventId: NullableUuid,
  voidedBy: Type.Union([Type.String(), Type.Null()]),
  voidReason: Type.Union([Type.String(), Type.Null()]),
  /** A compensating event voids this one. */
  voided: Type.Boolean(),
})

/** Each event of a batch is read on its own, so one bad event is rejected alone; only the envelope is checked here. */
export function batchBody(maxItems: number) {
  return Type.Object({ events: Type.Array(Type.Unknown(), { minItems: 1, maxItems }) })
}
