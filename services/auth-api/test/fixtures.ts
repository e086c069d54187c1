import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type TestApp as ServiceTestApp,
  serviceTestKit,
  TEST_INTERNAL_SECRET,
  TEST_SERVICE_ENV,
} from '@gatehouse/service-kit/testing/app'
import { buildApp } from '../src/app.ts'
import { type Config, loadAuthApiConfig } from '../src/config.ts'

export const INTERNAL_SECRET = TEST_INTERNAL_SECRET
export const CRON_SECRET = 'test-cron-secret-0123456789'
export const TWO_FACTOR_ENCRYPTION_KEY = 'test-two-factor-key-0123456789abcdef'
export const COOKIE_SECRET = 'test-cookie-secret-0123456789abcdef'

/** Limits high enough that only the rate-limit tests meet them. */
export const TEST_ENV: Record<string, string> = {
  ...TEST_SERVICE_ENV,
  CRON_SECRET,
  TWO_FACTOR_ENCRYPTION_KEY,
  COOKIE_SECRET,
  // Tests that read mail give SMTP_URL (a real SMTP server in the test); the others' mail goes to files here.
  MAIL_DIR: join(tmpdir(), 'gatehouse-auth-api-test-mail'),
  RATE_LIMIT_MAIL_PER_IP: '10000',
  RATE_LIMIT_MAIL_PER_ACCOUNT: '10000',
  RATE_LIMIT_LOGIN_PER_IP: '10000',
  RATE_LIMIT_LOGIN_PER_ACCOUNT: '10000',
  RATE_LIMIT_REGISTER_PER_IP: '10000',
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadAuthApiConfig({ ...TEST_ENV, ...overrides })
}

export type TestApp = ServiceTestApp<Config>

export const {
  migrationsDir: MIGRATIONS_DIR,
  openTestDb,
  startTestApp,
  openTestApp,
  closeTestApp,
} = serviceTestKit({
  name: 'auth-api',
  migrations: new URL('../migrations', import.meta.url),
  buildApp,
  testConfig,
})
