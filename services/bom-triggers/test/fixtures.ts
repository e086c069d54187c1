import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { createTestDb, type TestDb } from '@gatehouse/db-kit/testing'
import {
  createTestClock,
  INTERNAL_CONTEXT_HEADER,
  type ServiceInstance,
  signInternalContext,
  type TestClock,
} from '@gatehouse/service-kit'
import { buildApp } from '../src/app.ts'
import { type Config, loadBomTriggersConfig } from '../src/config.ts'

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url))

export const INTERNAL_SECRET = 'test-internal-secret-0123456789abcdef'
export const CRON_SECRET = 'test-cron-secret-0123456789abcdefghij'
export const WEBHOOK_SECRET_KEY = 'test-webhook-secret-key-0123456789abcdef'

/** Webhooks may reach the tests' loopback receiver; deliveries are driven by the tests (runOnce). */
export const TEST_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  INTERNAL_SECRET,
  CRON_SECRET,
  WEBHOOK_SECRET_KEY,
  WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
  WEBHOOK_DELIVERY: 'false',
  // The tests are not about load shedding: a busy CI machine must not turn their requests into 503s.
  LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '0',
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadBomTriggersConfig({ ...TEST_ENV, ...overrides })
}

export function openTestDb(): Promise<TestDb> {
  return createTestDb({ migrationsDir: MIGRATIONS_DIR, service: 'bom-triggers' })
}

export interface TestApp {
  app: ServiceInstance
  clock: TestClock
  config: Config
}

export async function startTestApp(
  db: TestDb,
  options: { env?: Record<string, string>; clock?: TestClock } = {},
): Promise<TestApp> {
  const config = testConfig(options.env)
  const clock = options.clock ?? createTestClock()
  const app = buildApp({ config, db, clock, logger: false })
  await app.ready()
  return { app, clock, config }
}

export interface Answer {
  status: number
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
  body: any
  headers: Record<string, unknown>
}

/** A tenant calling the service as the gateway forwards it: with a signed caller context. */
export class Tenant {
  readonly id: string

  constructor(
    private readonly app: ServiceInstance,
    id: string = randomUUID(),
  ) {
    this.id = id
  }

  async call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown): Promise<Answer> {
    const token = await signInternalContext(
      INTERNAL_SECRET,
      { tenantId: this.id, keyId: 'test-key', scopes: [] },
      { audience: 'bom-triggers' },
    )
    const response = await this.app.inject({
      method,
      url,
      headers: { [INTERNAL_CONTEXT_HEADER]: token },
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
    return {
      status: response.statusCode,
      body: response.body ? JSON.parse(response.body) : undefined,
      headers: response.headers,
    }
  }

  get = (url: string) => this.call('GET', url)
  post = (url: string, payload: unknown = {}) => this.call('POST', url, payload)
  patch = (url: string, payload: unknown) => this.call('PATCH', url, payload)
  delete = (url: string) => this.call('DELETE', url)
}

/** The file-wide database and app most test files share; closeTestApp undoes it. */
export async function openTestApp(
  options: { env?: Record<string, string>; clock?: TestClock } = {},
): Promise<{ db: TestDb; t: TestApp }> {
  const db = await openTestDb()
  return { db, t: await startTestApp(db, options) }
}

export async function closeTestApp(t: TestApp | undefined, db: TestDb | undefined): Promise<void> {
  await t?.app.close()
  await db?.close()
}
