import { runPepperStatusCommand } from '../src/operators/pepper-status-command.ts'
import { runOperatorCommand } from '../src/operators/run-operator-command.ts'

await runOperatorCommand(({ db, config }) =>
  runPepperStatusCommand({ db, config, out: { log: (line) => process.stdout.write(`${line}\n`) } }),
)
