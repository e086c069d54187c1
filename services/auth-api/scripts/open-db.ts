import { fileURLToPath } from 'node:url'
import type { DbHandle } from '@gatehouse/db-kit'
import { openServiceDatabase } from '@gatehouse/service-kit'
import type { Config } from '../src/config.ts'

/** The service's own database, as server.ts opens it (the embedded default is migrated first, as on start). */
export function openServiceDb(config: Config): Promise<DbHandle> {
  return openServiceDatabase('auth-api', config, fileURLToPath(new URL('../migrations', import.meta.url)))
}
