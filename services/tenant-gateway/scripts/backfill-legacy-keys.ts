import { loadOperatorConfigOrExit } from '../src/config.ts'
import { runBackfillCommand } from '../src/operator-commands.ts'
import { openGatewayDatabase } from './database.ts'

const config = loadOperatorConfigOrExit()
const db = await openGatewayDatabase(config)
try {
  process.exitCode = await runBackfillCommand(process.argv.slice(2), {
    db,
    config,
    out: { log: (line) => process.stdout.write(`${line}\n`), progress: process.stderr },
  })
} finally {
  await db.close()
}
