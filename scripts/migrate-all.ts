/**
 * `pnpm migrate [up|down [n]|status|verify] [--filter <service>]... [--dry-run]`, the operators' command.
 * Without --filter every service is migrated; each against its own database (see README, "Migrations").
 */
import { runMigrationCli } from '@gatehouse/db-kit'

process.exitCode = await runMigrationCli(process.argv.slice(2))
