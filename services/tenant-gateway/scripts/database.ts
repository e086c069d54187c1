import { fileURLToPath } from 'node:url'
import type { DbHandle } from '@gatehouse/db-kit'
import { openServiceDatabase } from '@gatehouse/service-kit'
import type { Config } from '../src/config.ts'

/** The gateway's database as server.ts opens it: DATABASE_URL, else the embedded PGlite (migrated, as on start). */
export function openGatewayDatabase(
  config: Pick<Config, 'DATABASE_URL' | 'DATA_DIR'> & { MIGRATE_ON_BOOT?: boolean },
): Promise<DbHandle> {
  return openServiceDatabase(
    'tenant-gateway',
    config,
    fileURLToPath(new URL('../migrations', import.meta.url)),
  )
}
