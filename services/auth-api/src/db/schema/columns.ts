import { timestamp } from 'drizzle-orm/pg-core'

/** Every timestamp is timestamptz; the app writes them from its injected clock so tests can move time. */
export const timestamptz = () => timestamp({ withTimezone: true, mode: 'date' })

export const createdAt = () => timestamptz().notNull().defaultNow()
