import type { Database } from '@gatehouse/db-kit'
import type { SQL } from 'drizzle-orm'
import { PgDialect } from 'drizzle-orm/pg-core'

/**
 * Hot statements as prepared statements. drizzle sends every other query unnamed, and postgres.js runs an unnamed
 * query with parameters in two round trips (describe, then execute) and waits for it before sending the next
 * one; a prepared one is parsed once per connection (postgres.js keys it on its text, the name only switches it
 * on), then takes one round trip and can be pipelined with the next. PGlite ignores the name.
 */
interface Preparable<T> {
  prepare(name: string): { execute(): Promise<T> }
  execute(): Promise<T>
}

export function prepared<T>(query: Preparable<T>, name: string): Promise<T> {
  return query.prepare(name).execute()
}

/**
 * Statements whose text depends on a row count (multi-row inserts, IN lists) are prepared up to this many rows:
 * each count is a statement of its own on every connection, so only the common small ones are kept.
 */
export const PREPARED_MAX_ROWS = 16

/**
 * `prepared` for a statement of `rows` rows, or unnamed above PREPARED_MAX_ROWS. Either way it is sent by the
 * same path (`execute`), so statements started one after the other reach the connection in that order.
 */
export function preparedUpTo<T>(query: Preparable<T>, name: string, rows: number): Promise<T> {
  return rows <= PREPARED_MAX_ROWS ? prepared(query, name) : query.execute()
}

// The casing the services' drizzle instances use (db-kit), for the column names in raw statements.
const dialect = new PgDialect({ casing: 'snake_case' })

/** A raw statement (what `tx.execute` runs unnamed) as a prepared one (`name` undefined: unnamed); no rows read. */
export async function executePrepared(tx: Database, name: string | undefined, statement: SQL): Promise<void> {
  await tx._.session.prepareQuery(dialect.sqlToQuery(statement), undefined, name, false).execute()
}
