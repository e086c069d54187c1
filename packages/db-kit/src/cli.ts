import { runMigrationCli } from './run-cli.ts'

process.exitCode = await runMigrationCli(process.argv.slice(2))
