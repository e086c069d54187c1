import { fileURLToPath } from 'node:url'
import { createDb, type DbHandle, migrateUp } from '@gatehouse/db-kit'
import { defaultDataDir } from '@gatehouse/service-kit'
import type { Config } from '../src/config.ts'

/** The gateway's database as server.ts opens it: DATABASE_URL, else the embedded PGlite (migrated, as on start). */
export async function openGatewayDatabase(
  config: Pick<Config, 'DATABASE_URL' | 'DATA_DIR'>,
): Promise<DbHandle> {
  if (config.DATABASE_URL) return createDb({ url: config.DATABASE_URL })
  const db = await createDb({ dataDir: config.DATA_DIR ?? defaultDataDir('tenant-gateway') })
  await migrateUp(db, {
    migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
    service: 'tenant-gateway',
  })
  return db
}
