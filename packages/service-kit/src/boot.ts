import { existsSync } from 'node:fs'
import { join } from 'node:path'
import {
  createDb,
  DatabaseInUseError,
  type DbHandle,
  migrateUp,
  serviceDataDir,
  serviceMigrationsDir,
} from '@gatehouse/db-kit'
import { ConfigError, deploymentProblems, exitWithProblems } from './config.ts'
import type { ServiceInstance } from './create-service.ts'
import { runService } from './run-service.ts'
import { reportStartup } from './startup-progress.ts'

export interface BootConfig {
  PORT: number
  HOST: string
  DATABASE_URL?: string
  DATA_DIR?: string
  MIGRATE_ON_BOOT: boolean
  NODE_ENV?: string
}

/** The settings that choose a service's database. */
export interface DatabaseSettings {
  DATABASE_URL?: string
  DATA_DIR?: string
  MIGRATE_ON_BOOT?: boolean
  NODE_ENV?: string
}

/**
 * A service's database as its server opens it: PostgreSQL when DATABASE_URL is set, else the embedded PGlite under
 * .data/ (never in production: ConfigError); migrations always on the embedded default, on PostgreSQL only with
 * MIGRATE_ON_BOOT=true. An embedded database another process holds is a DatabaseInUseError (db-kit's lock).
 */
export async function openServiceDatabase(
  name: string,
  config: DatabaseSettings,
  migrationsDir = serviceMigrationsDir(name),
  log?: (line: string) => void,
): Promise<DbHandle> {
  const problems = deploymentProblems({ NODE_ENV: config.NODE_ENV, DATABASE_URL: config.DATABASE_URL })
  if (problems.length > 0) throw new ConfigError(problems)
  reportStartup({ stage: 'database', embedded: !config.DATABASE_URL })
  const db = await createDb(
    config.DATABASE_URL ? { url: config.DATABASE_URL } : { dataDir: config.DATA_DIR ?? serviceDataDir(name) },
  )
  const hasMigrations = existsSync(join(migrationsDir, 'meta', '_journal.json'))
  if (hasMigrations && (config.MIGRATE_ON_BOOT || !config.DATABASE_URL)) {
    const started = performance.now()
    try {
      const { applied } = await migrateUp(db, {
        migrationsDir,
        service: name,
        log: (line) => {
          log?.(line)
          if (line.startsWith('applied ')) reportStartup({ stage: 'migration', applied: line.slice(8) })
        },
      })
      reportStartup({
        stage: 'migrated',
        applied: applied.length,
        ms: Math.round(performance.now() - started),
      })
    } catch (error) {
      await db.close()
      throw error
    }
  }
  return db
}

/**
 * server.ts of every service: database (PostgreSQL when DATABASE_URL is set, else embedded PGlite under .data/),
 * migrations (always on the embedded default, on PostgreSQL only with MIGRATE_ON_BOOT=true), app, listen, close on signals.
 */
export async function bootService<C extends BootConfig>(options: {
  name: string
  config: C
  /** Defaults to the service's folder in the repository. */
  migrationsDir?: string
  build: (deps: { config: C; db: DbHandle }) => ServiceInstance | Promise<ServiceInstance>
}): Promise<ServiceInstance> {
  const { config, name } = options
  const db = await openServiceDatabase(name, config, options.migrationsDir).catch((error: unknown) =>
    exitOnOpenFailure(name, error),
  )
  const app = await options.build({ config, db })
  // Not an onClose hook: Fastify runs those last-added first, so the service's own hooks (final batched writes)
  // would find the database already closed.
  await runService(app, { port: config.PORT, host: config.HOST, afterClose: () => db.close() })
  reportStartup({ stage: 'listening', port: config.PORT })
  return app
}

/**
 * Why a service or operator command could not open its database, in one line and exit code 1, when it is a
 * refusal (production without DATABASE_URL, an embedded database held by another process); anything else is
 * rethrown as it is.
 */
export function exitOnOpenFailure(name: string, error: unknown): never {
  if (error instanceof ConfigError) exitWithProblems(name, error.problems)
  if (error instanceof DatabaseInUseError) {
    process.stderr.write(`${name}: refused: ${error.message}\n`)
    process.exit(1)
  }
  throw error
}
