import { timestamp, uuid } from 'drizzle-orm/pg-core'

export const id = () => uuid().primaryKey().defaultRandom()
export const timestamptz = () => timestamp({ withTimezone: true })
export const createdAt = () => timestamptz().notNull().defaultNow()
