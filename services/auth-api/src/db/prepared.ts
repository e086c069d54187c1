import type { Database } from '@gatehouse/db-kit'

interface Preparable<T> {
  prepare(name: string): { execute(): Promise<T> }
}

/**
 * Runs a drizzle query as a named prepared statement. drizzle sends every other query unnamed, and postgres.js
 * runs an unnamed query with parameters in two round trips (describe, then execute); a named one is parsed once
 * per connection and then takes one. PGlite ignores the name.
 */
export function prepared<T>(query: Preparable<T>, name: string): Promise<T> {
  return query.prepare(name).execute()
}

/**
 * A statement built once per database handle (or transaction) instead of once per call: on the hottest paths
 * (refresh, logout, me) drizzle's query building costs more CPU than the rest of the request. Values go in as
 * `sql.placeholder(...)`.
 */
export function builtOnce<T>(build: (db: Database) => T): (db: Database) => T {
  const built = new WeakMap<Database, T>()
  return (db) => {
    let statement = built.get(db)
    if (statement === undefined) {
      statement = build(db)
      built.set(db, statement)
    }
    return statement
  }
}
