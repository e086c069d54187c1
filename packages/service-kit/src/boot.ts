import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createDb, type DbHandle, migrateUp, serviceDataDir, serviceMigrationsDir } from '@gatehouse/db-kit'
import type { ServiceInstance } from './create-service.ts'
import { platformSettingsOf, withPlatformSettings } from './platform-settings.ts'
import { runService } from './run-service.ts'

export interface BootConfig {
  PORT: number
  HOST: string
  DATABASE_URL?: string
  DATA_DIR?: string
  MIGRATE_ON_BOOT: boolean
}

/**
 * A service's database as its server opens it: PostgreSQL when DATABASE_URL is set, else the embedded PGlite under
 * .data/; migrations always on the embedded default, on PostgreSQL only with MIGRATE_ON_BOOT=true.
 */
export async function openServiceDatabase(
  name: string,
  config: { DATABASE_URL?: string; DATA_DIR?: string; MIGRATE_ON_BOOT?: boolean },
  migrationsDir = serviceMigrationsDir(name),
): Promise<DbHandle> {
  const db = await createDb(
    config.DATABASE_URL ? { url: config.DATABASE_URL } : { dataDir: config.DATA_DIR ?? serviceDataDir(name) },
  )
  const hasMigrations = existsSync(join(migrationsDir, 'meta', '_journal.json'))
  if (hasMigrations && (config.MIGRATE_ON_BOOT || !config.DATABASE_URL)) {
    try {
      await migrateUp(db, { migrationsDir, service: name })
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
  const db = await openServiceDatabase(name, config, options.migrationsDir)
  // createService inside build takes METRICS_TOKEN, the load-shedding thresholds and ERRORS_BASE_URL from here.
  const app = await withPlatformSettings(platformSettingsOf(config), () => options.build({ config, db }))
  // Not an onClose hook: Fastify runs those last-added first, so the service's own hooks (final batched writes)
  // would find the database already closed.
  await runService(app, { port: config.PORT, host: config.HOST, afterClose: () => db.close() })
  return app
}
