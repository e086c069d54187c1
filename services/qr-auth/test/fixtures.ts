import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { createTestDb, type TestDb } from '@gatehouse/db-kit/testing'
import {
  createTestClock,
  INTERNAL_CONTEXT_HEADER,
  type ServiceInstance,
  signInternalContext,
  type TestClock,
} from '@gatehouse/service-kit'
import { buildApp as buildAuthApi } from '../../auth-api/src/app.ts'
import { loadAuthApiConfig } from '../../auth-api/src/config.ts'
import { buildApp } from '../src/app.ts'
import { type Config, loadQrAuthConfig } from '../src/config.ts'

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url))
const AUTH_API_MIGRATIONS_DIR = fileURLToPath(new URL('../../auth-api/migrations', import.meta.url))

export const INTERNAL_SECRET = 'test-internal-secret-0123456789abcdef'
export const CRON_SECRET = 'test-cron-secret-0123456789abcdefghijkl'

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadQrAuthConfig({
    NODE_ENV: 'test',
    INTERNAL_SECRET,
    CRON_SECRET,
    // Event streams re-read their sessions quickly, so tests wait milliseconds for a tick, not seconds.
    QR_EVENTS_WATCH_MS: '20',
    ...overrides,
  })
}

export function openQrDb(): Promise<TestDb> {
  return createTestDb({ migrationsDir: MIGRATIONS_DIR, service: 'qr-auth' })
}

/** Every log line the app wrote, parsed. */
export interface LogLines {
  lines(): Array<Record<string, unknown> & { level: number; msg: string }>
  text(): string
}

function captureLogs(): { stream: Writable; logs: LogLines } {
  let text = ''
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk.toString()
      done()
    },
  })
  return {
    stream,
    logs: {
      text: () => text,
      lines: () =>
        text
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line)),
    },
  }
}

export interface QrApp {
  app: ServiceInstance
  clock: TestClock
  config: Config
  logs: LogLines
}

/** qr-auth on the given database, talking to `authApiUrl`, with a clock the test moves. */
export async function startQrApp(
  db: TestDb,
  options: { authApiUrl: string; env?: Record<string, string>; clock?: TestClock },
): Promise<QrApp> {
  const config = testConfig({ AUTH_API_URL: options.authApiUrl, ...options.env })
  const clock = options.clock ?? createTestClock()
  const { stream, logs } = captureLogs()
  const app = buildApp({ config, db, clock, logger: { level: 'info', stream } })
  await app.ready()
  return { app, clock, config, logs }
}

/** A real auth-api (its own app and test database) listening on a loopback port, as qr-auth meets it. */
export interface AuthApi {
  url: string
  app: ServiceInstance
  db: TestDb
  close(): Promise<void>
}

export async function startAuthApi(): Promise<AuthApi> {
  const db = await createTestDb({ migrationsDir: AUTH_API_MIGRATIONS_DIR, service: 'auth-api' })
  const config = loadAuthApiConfig({
    NODE_ENV: 'test',
    INTERNAL_SECRET,
    CRON_SECRET,
    RATE_LIMIT_LOGIN_PER_IP: '100000',
    RATE_LIMIT_LOGIN_PER_ACCOUNT: '100000',
    RATE_LIMIT_REGISTER_PER_IP: '100000',
  })
  const app = buildAuthApi({ config, db, logger: false })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  return {
    url,
    app,
    db,
    close: async () => {
      await app.close()
      await db.close()
    },
  }
}

/** The gateway's signed context for a signed-in phone user, as qr-auth receives it. */
export async function phoneHeaders(userId: string): Promise<Record<string, string>> {
  const context = await signInternalContext(INTERNAL_SECRET, { userId, scopes: [] }, { audience: 'qr-auth' })
  return { [INTERNAL_CONTEXT_HEADER]: context }
}
