import type { DbHandle } from '@gatehouse/db-kit'
import { openServiceDatabase } from '@gatehouse/service-kit'
import { loadOperatorConfigOrExit, type OperatorConfig } from '../config.ts'

/**
 * What every operator script does around its command: the operator config (exit 1 on a bad variable), the
 * gateway's database as server.ts opens it (DATABASE_URL, else the embedded PGlite, migrated as on start), the
 * command's exit code, the database closed whatever happens.
 */
export async function runOperatorCommand(
  command: (deps: { db: DbHandle; config: OperatorConfig }) => Promise<number>,
): Promise<void> {
  const config = loadOperatorConfigOrExit()
  const db = await openServiceDatabase('tenant-gateway', config)
  try {
    process.exitCode = await command({ db, config })
  } finally {
    await db.close()
  }
}
