import { runBackfillCommand } from '../src/operators/backfill-command.ts'
import { runOperatorCommand } from '../src/operators/run-operator-command.ts'

await runOperatorCommand(({ db, config }) =>
  runBackfillCommand(process.argv.slice(2), {
    db,
    config,
    out: { log: (line) => process.stdout.write(`${line}\n`), progress: process.stderr },
  }),
)
