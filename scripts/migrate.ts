/**
 * `pnpm migrate [up|down [n]|status|verify] [--filter <service>]... [--dry-run]`, the operators' command, and
 * `pnpm --filter <service> migrate`. Without --filter every service is migrated, in the registry's order; each
 * against its own database (see README, "Migrations").
 */
import { runMigrationCli } from '@gatehouse/db-kit'
import { SERVICES } from '@gatehouse/service-kit'

process.exitCode = await runMigrationCli(
  process.argv.slice(2),
  process.env,
  console,
  SERVICES.map((service) => service.name),
)
