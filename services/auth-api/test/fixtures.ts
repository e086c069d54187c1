import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTestDb, type TestDb } from '@gatehouse/db-kit/testing'
import {
  createTestClock,
  type LoggerSettings,
  type ServiceInstance,
  type TestClock,
} from '@gatehouse/service-kit'
import { buildApp } from '../src/app.ts'
import { type Config, loadAuthApiConfig } from '../src/config.ts'

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url))

export const INTERNAL_SECRET = 'test-internal-secret-0123456789abcdef'
export const CRON_SECRET = 'test-cron-secret-0123456789'
export const TWO_FACTOR_ENCRYPTION_KEY = 'test-two-factor-key-0123456789abcdef'
export const COOKIE_SECRET = 'test-cookie-secret-0123456789abcdef'

/** Limits high enough that only the rate-limit tests meet them. */
export const TEST_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  INTERNAL_SECRET,
  CRON_SECRET,
  TWO_FACTOR_ENCRYPTION_KEY,
  COOKIE_SECRET,
  // Tests that read mail give SMTP_URL (a real SMTP server in the test); the others' mail goes to files here.
  MAIL_DIR: join(tmpdir(), 'gatehouse-auth-api-test-mail'),
  RATE_LIMIT_MAIL_PER_IP: '10000',
  // An in-process OIDC provider generating its keys, or a cold vitest import, stalls the event loop for a moment:
  // no shedding in these tests (service-kit tests load shedding itself).
  LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '0',
  RATE_LIMIT_MAIL_PER_ACCOUNT: '10000',
  RATE_LIMIT_LOGIN_PER_IP: '10000',
  RATE_LIMIT_LOGIN_PER_ACCOUNT: '10000',
  RATE_LIMIT_REGISTER_PER_IP: '10000',
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadAuthApiConfig({ ...TEST_ENV, ...overrides })
}

export function openTestDb(): Promise<TestDb> {
  return createTestDb({ migrationsDir: MIGRATIONS_DIR, service: 'auth-api' })
}

export interface TestApp {
  app: ServiceInstance
  clock: TestClock
  config: Config
}

export async function startTestApp(
  db: TestDb,
  options: { env?: Record<string, string>; logger?: LoggerSettings; clock?: TestClock } = {},
): Promise<TestApp> {
  const config = testConfig(options.env)
  const clock = options.clock ?? createTestClock()
  const app = buildApp({ config, db, clock, logger: options.logger ?? false })
  await app.ready()
  return { app, clock, config }
}

/** The file-wide database and app most test files share; closeTestApp undoes it. */
export async function openTestApp(): Promise<{ db: TestDb; t: TestApp }> {
  const db = await openTestDb()
  return { db, t: await startTestApp(db) }
}

export async function closeTestApp(t: TestApp | undefined, db: TestDb | undefined): Promise<void> {
  await t?.app.close()
  await db?.close()
}
