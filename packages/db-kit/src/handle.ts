import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
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
