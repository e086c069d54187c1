import { timestamp, uuid } from 'drizzle-orm/pg-core'

/** Columns every service's schema shares (STYLE.md: a `columns.ts` for shared columns). */
export const id = () => uuid().primaryKey().defaultRandom()

/** Every timestamp is timestamptz; services write them from their injected clock so tests can move time. */
export const timestamptz = () => timestamp({ withTimezone: true, mode: 'date' })

export const createdAt = () => timestamptz().notNull().defaultNow()
