import { loadOperatorConfigOrExit } from '../src/config.ts'
import { runPepperStatusCommand } from '../src/operator-commands.ts'
import { openGatewayDatabase } from './database.ts'

const config = loadOperatorConfigOrExit()
const db = await openGatewayDatabase(config)
try {
  process.exitCode = await runPepperStatusCommand({
    db,
    config,
    out: { log: (line) => process.stdout.write(`${line}\n`) },
  })
} finally {
  await db.close()
}
