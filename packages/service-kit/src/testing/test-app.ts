import { fileURLToPath } from 'node:url'
import type { DbHandle } from '@gatehouse/db-kit'
import { createTestDb, type TestDb } from '@gatehouse/db-kit/testing'
import { createTestClock, type TestClock } from '../clock.ts'
import type { ServiceInstance } from '../create-service.ts'
import type { LoggerSettings } from '../logger.ts'
import type { ServiceDeps } from '../service-app.ts'

/** A service's app as a test file holds it: the app, the clock the test moves, the config it was built with. */
export interface TestApp<Config> {
  app: ServiceInstance
  clock: TestClock
  config: Config
}

/** A service's `buildApp` (the gateway's is async). */
export type BuildApp<Config> = (deps: ServiceDeps<Config>) => ServiceInstance | Promise<ServiceInstance>

/** buildApp on a test's config and database, silent unless given a logger, with a test clock; ready. */
export async function startServiceTestApp<Config>(
  buildApp: BuildApp<Config>,
  deps: { config: Config; db: DbHandle; clock?: TestClock | undefined; logger?: LoggerSettings | false },
): Promise<TestApp<Config>> {
  const clock = deps.clock ?? createTestClock()
  const app = await buildApp({ config: deps.config, db: deps.db, clock, logger: deps.logger ?? false })
  await app.ready()
  return { app, clock, config: deps.config }
}

/** Undoes a test file's app and database (either may be missing when its setup failed). */
export async function closeTestApp(
  t: { app: ServiceInstance } | undefined,
  db: { close(): Promise<void> } | undefined,
): Promise<void> {
  await t?.app.close()
  await db?.close()
}

export interface TestAppOptions {
  /** Variables over the tests' environment. */
  env?: Record<string, string>
  clock?: TestClock
  logger?: LoggerSettings | false
}

/** What a service's test/fixtures.ts builds its tests on. */
export interface ServiceTestKit<Config> {
  /** The service's migrations folder, as a path. */
  migrationsDir: string
  /** A fresh database migrated with the service's migrations (PostgreSQL with TEST_DATABASE_URL, else PGlite). */
  openTestDb(): Promise<TestDb>
  startTestApp(db: DbHandle, options?: TestAppOptions): Promise<TestApp<Config>>
  /** The file-wide database and app most test files share; closeTestApp undoes it. */
  openTestApp(options?: TestAppOptions): Promise<{ db: TestDb; t: TestApp<Config> }>
  closeTestApp: typeof closeTestApp
}

export function serviceTestKit<Config>(service: {
  name: string
  /** `new URL('../migrations', import.meta.url)` from the fixtures file. */
  migrations: URL
  buildApp: BuildApp<Config>
  /** The config the tests run with, `env` over it. */
  testConfig(env?: Record<string, string>): Config
  /** Where a test's clock starts when it brings none (default: now). */
  clockStart?: Date
}): ServiceTestKit<Config> {
  const migrationsDir = fileURLToPath(service.migrations)
  const openTestDb = () => createTestDb({ migrationsDir, service: service.name })
  const startTestApp = (db: DbHandle, options: TestAppOptions = {}) =>
    startServiceTestApp(service.buildApp, {
      config: service.testConfig(options.env),
      db,
      clock: options.clock ?? createTestClock(service.clockStart),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    })
  return {
    migrationsDir,
    openTestDb,
    startTestApp,
    async openTestApp(options = {}) {
      const db = await openTestDb()
      return { db, t: await startTestApp(db, options) }
    },
    closeTestApp,
  }
}

/** The INTERNAL_SECRET services' tests share, so one service's test can call another's app as the platform does. */
export const TEST_INTERNAL_SECRET = 'test-internal-secret-0123456789abcdef'

/**
 * What every service's test config starts from. No load shedding: a test's app shares its event loop with the
 * test's own work (cold imports, a WASM database, an in-process OIDC provider); service-kit tests shedding itself.
 */
export const TEST_SERVICE_ENV: Readonly<Record<string, string>> = {
  NODE_ENV: 'test',
  INTERNAL_SECRET: TEST_INTERNAL_SECRET,
  LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '0',
}
