import type { DbConfig, DbHandle } from './handle.ts'
import { openPglite } from './pglite.ts'
import { openPostgres } from './postgres.ts'

export type { Database, DbConfig, DbHandle } from './handle.ts'

export async function createDb(config: DbConfig): Promise<DbHandle> {
  return config.url ? openPostgres(config.url, config.max) : openPglite(config.dataDir)
}
