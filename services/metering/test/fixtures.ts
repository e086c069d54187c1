import { fileURLToPath } from 'node:url'
import { createTestDb, type TestDb } from '@gatehouse/db-kit/testing'
import {
  createTestClock,
  INTERNAL_CONTEXT_HEADER,
  SERVICE_TOKEN_HEADER,
  type ServiceInstance,
  signInternalContext,
  signServiceToken,
  type TestClock,
} from '@gatehouse/service-kit'
import { buildApp } from '../src/app.ts'
import { type Config, loadMeteringConfig } from '../src/config.ts'

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url))
export const INTERNAL_SECRET = 'test-internal-secret-0123456789abcdef'
/** Mid-month, so a test can move a few days either way without crossing a month unless it means to. */
export const TEST_START = new Date('2030-03-15T12:00:00.000Z')

export function openTestDb(): Promise<TestDb> {
  return createTestDb({ migrationsDir: MIGRATIONS_DIR, service: 'metering' })
}

export function testConfig(env: Record<string, string> = {}): Config {
  // PGlite's work stalls the event loop for moments: no load shedding here (service-kit tests it).
  return loadMeteringConfig({
    NODE_ENV: 'test',
    INTERNAL_SECRET,
    LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '0',
    ...env,
  })
}

export interface TestApp {
  app: ServiceInstance
  clock: TestClock
}

export async function startTestApp(
  db: TestDb,
  options: { clock?: TestClock; env?: Record<string, string> } = {},
): Promise<TestApp> {
  const clock = options.clock ?? createTestClock(TEST_START)
  const app = buildApp({ config: testConfig(options.env), db, clock, logger: false })
  await app.ready()
  return { app, clock }
}

export async function closeTestApp(t: TestApp | undefined, db: TestDb | undefined): Promise<void> {
  await t?.app.close()
  await db?.close()
}

/** What the gateway forwards for a tenant route: its signed caller context. */
export async function asTenant(
  tenantId: string,
  who: { keyId?: string; userId?: string } = {},
): Promise<Record<string, string>> {
  const token = await signInternalContext(
    INTERNAL_SECRET,
    { tenantId, ...who, scopes: [] },
    { audience: 'metering' },
  )
  return { [INTERNAL_CONTEXT_HEADER]: token }
}

/** What the gateway's metering sink sends on /internal. */
export async function asGateway(
  issuer = 'tenant-gateway',
  audience = 'metering',
): Promise<Record<string, string>> {
  return { [SERVICE_TOKEN_HEADER]: await signServiceToken(INTERNAL_SECRET, { issuer, audience }) }
}
