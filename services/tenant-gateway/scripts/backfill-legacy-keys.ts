import { backfillHelp, runBackfillCommand } from '../src/operators/backfill-command.ts'
import { runOperatorCommand } from '../src/operators/run-operator-command.ts'

const argv = process.argv.slice(2)
const help = backfillHelp(argv)
if (help) process.stdout.write(`${help.join('\n')}\n`)
else
  await runOperatorCommand(({ db, config }) =>
    runBackfillCommand(argv, {
      db,
      config,
      out: { log: (line) => process.stdout.write(`${line}\n`), progress: process.stderr },
    }),
  )
