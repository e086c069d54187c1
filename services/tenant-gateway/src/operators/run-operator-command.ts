import type { DbHandle } from '@gatehouse/db-kit'
import { runOperatorCommand as runOnServiceDatabase } from '@gatehouse/service-kit'
import { loadOperatorConfigOrExit, type OperatorConfig } from '../config.ts'

/**
 * What every operator script does around its command: the operator config (exit 1 on a bad variable), then
 * service-kit's runOperatorCommand: the gateway's database as server.ts opens it (refused while the running
 * gateway holds the embedded one), the command's exit code, the database closed whatever happens.
 */
export async function runOperatorCommand(
  command: (deps: { db: DbHandle; config: OperatorConfig }) => Promise<number>,
): Promise<void> {
  const config = loadOperatorConfigOrExit()
  await runOnServiceDatabase('tenant-gateway', config, (db) => command({ db, config }))
}
