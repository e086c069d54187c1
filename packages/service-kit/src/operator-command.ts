import type { DbHandle } from '@gatehouse/db-kit'
import { type DatabaseSettings, exitOnOpenFailure, openServiceDatabase } from './boot.ts'

/**
 * What every operator script does around its command (seed:demo, keys:rotate, backfill:legacy-keys,
 * pepper:status): the service's database as its server opens it, refused in one line with exit code 1 while the
 * running service holds the embedded one (a write made beside it would be lost), the command's exit code, the
 * database closed whatever happens, before the command's report is trusted.
 */
export async function runOperatorCommand(
  name: string,
  config: DatabaseSettings,
  command: (db: DbHandle) => Promise<number | undefined>,
): Promise<void> {
  const db = await openServiceDatabase(name, config).catch((error: unknown) => exitOnOpenFailure(name, error))
  let code: number | undefined
  try {
    code = await command(db)
  } finally {
    await db.close()
  }
  process.exitCode = code ?? 0
}
