import { fileURLToPath } from 'node:url'
import { createDb, type DbHandle, migrateUp } from '@gatehouse/db-kit'
import { defaultDataDir } from '@gatehouse/service-kit'
import type { Config } from '../src/config.ts'

/** The service's own database, as server.ts opens it; the embedded default is migrated first, as on start. */
export async function openServiceDb(config: Config): Promise<DbHandle> {
  if (config.DATABASE_URL) return createDb({ url: config.DATABASE_URL })
  const db = await createDb({ dataDir: config.DATA_DIR ?? defaultDataDir('auth-api') })
  await migrateUp(db, {
    migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
    service: 'auth-api',
  })
  return db
}
