import type { Database } from '@gatehouse/db-kit'
import type { SQL } from 'drizzle-orm'

/**
 * The rows of a hand-written statement on either driver: postgres.js answers an array, PGlite `{ rows }`. Select
 * text, integers and uuids only: the drivers disagree on how they hand back timestamps and bigints.
 */
export async function selectRows<T>(db: Database, query: SQL): Promise<T[]> {
  const result: unknown = await db.execute(query)
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[]
}
