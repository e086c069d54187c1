import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { openPglite } from './pglite.ts'
import { openPostgres } from './postgres.ts'
import type { RawSql } from './raw-sql.ts'

/** The drizzle type both drivers (postgres.js and PGlite) are assignable to. */
export type Database = PgDatabase<PgQueryResultHKT, Record<string, unknown>>

export interface DbConfig {
  /** PostgreSQL URL (postgres.js). Without it: PGlite. */
  url?: string
  /** PGlite data directory, created if missing; in memory when undefined. */
  dataDir?: string
  /** postgres.js pool size. */
  max?: number
}

export interface DbHandle {
  kind: 'postgres' | 'pglite'
  db: Database
  raw: RawSql
  /** Runs `select 1`; resolves with the latency in ms, rejects when the database is unreachable. */
  ping(): Promise<number>
  close(): Promise<void>
}

export async function createDb(config: DbConfig): Promise<DbHandle> {
  return config.url ? openPostgres(config.url, config.max) : openPglite(config.dataDir)
}

export async function timePing(raw: RawSql): Promise<number> {
  const started = performance.now()
  await raw.query('select 1')
  return performance.now() - started
}
