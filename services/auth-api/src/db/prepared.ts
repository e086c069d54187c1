interface Preparable<T> {
  prepare(name: string): { execute(): Promise<T> }
}

/**
 * Runs a drizzle query as a named prepared statement. drizzle sends every other query unnamed, and postgres.js
 * runs an unnamed query with parameters in two round trips (describe, then execute); a named one is parsed once
 * per connection and then takes one. Used on the hot paths (login, refresh, me, logout). PGlite ignores the name.
 */
export function prepared<T>(query: Preparable<T>, name: string): Promise<T> {
  return query.prepare(name).execute()
}
