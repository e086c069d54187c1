export { dataRoot, findRepoRoot, serviceDataDir, serviceMigrationsDir } from './data-dir.ts'
export { createDb, type Database, type DbConfig, type DbHandle } from './db.ts'
export { DatabaseInUseError, type LockHolder } from './embedded-lock.ts'
export {
  type MigrationOptions,
  type MigrationState,
  migrateDown,
  migrateUp,
  migrationStatus,
  verifyMigrations,
} from './migrate.ts'
export { MigrationError } from './migration-error.ts'
export { freshClusterImage } from './pglite-image.ts'
export type { RawSql } from './raw-sql.ts'
export { type CliOutput, runMigrationCli } from './run-cli.ts'
export { resolveServiceDatabase, serviceDatabaseEnvVar } from './service-database.ts'
