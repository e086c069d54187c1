import Type from 'typebox'

/** Handlers return Date objects; fast-json-stringify writes them as ISO strings. */
export const Timestamp = Type.Unsafe<Date>(Type.String({ format: 'date-time' }))
export const NullableTimestamp = Type.Unsafe<Date | null>(
  Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
)

export const Uuid = Type.String({ format: 'uuid' })
