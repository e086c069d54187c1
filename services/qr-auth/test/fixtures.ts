import { Writable } from 'node:stream'
import type { TestDb } from '@gatehouse/db-kit/testing'
import {
  INTERNAL_CONTEXT_HEADER,
  type ServiceInstance,
  signInternalContext,
  type TestClock,
} from '@gatehouse/service-kit'
import { serviceTestKit, TEST_SERVICE_ENV, type TestApp } from '@gatehouse/service-kit/testing/app'
import { buildApp as buildAuthApi } from '../../auth-api/src/app.ts'
import {
  INTERNAL_SECRET as AUTH_API_INTERNAL_SECRET,
  testConfig as authApiTestConfig,
  openTestDb as openAuthApiTestDb,
} from '../../auth-api/test/fixtures.ts'
import { buildApp } from '../src/app.ts'
import { type Config, loadQrAuthConfig } from '../src/config.ts'

// The one INTERNAL_SECRET of the platform: the gateway's context, qr-auth's service token, auth-api's check.
export const INTERNAL_SECRET = AUTH_API_INTERNAL_SECRET
export const CRON_SECRET = 'test-cron-secret-0123456789abcdefghijkl'

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadQrAuthConfig({
    ...TEST_SERVICE_ENV,
    INTERNAL_SECRET,
    CRON_SECRET,
    // Event streams re-read their sessions quickly, so tests wait milliseconds for a tick, not seconds.
    QR_EVENTS_WATCH_MS: '20',
    ...overrides,
  })
}

const kit = serviceTestKit({
  name: 'qr-auth',
  migrations: new URL('../migrations', import.meta.url),
  buildApp,
  testConfig,
})

export const MIGRATIONS_DIR = kit.migrationsDir

export const openQrDb = kit.openTestDb

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

export interface QrApp extends TestApp<Config> {
  logs: LogLines
}

/** qr-auth on the given database, talking to `authApiUrl`, with a clock the test moves. */
export async function startQrApp(
  db: TestDb,
  options: { authApiUrl: string; env?: Record<string, string>; clock?: TestClock },
): Promise<QrApp> {
  const { stream, logs } = captureLogs()
  const t = await kit.startTestApp(db, {
    env: { AUTH_API_URL: options.authApiUrl, ...options.env },
    logger: { level: 'info', stream },
    ...(options.clock ? { clock: options.clock } : {}),
  })
  return { ...t, logs }
}

/** A real auth-api (its own app and test database) listening on a loopback port, as qr-auth meets it. */
export interface AuthApi {
  url: string
  app: ServiceInstance
  db: TestDb
  close(): Promise<void>
}

/** auth-api as its own tests configure it (their fixtures keep up with its settings). */
export async function startAuthApi(): Promise<AuthApi> {
  const db = await openAuthApiTestDb()
  const config = authApiTestConfig()
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

/** Where the desktop's and phone's tests point qr-auth: nothing listens there, and they never exchange. */
const NO_AUTH_API = 'http://127.0.0.1:1'

export interface QrTestEnv {
  db: TestDb
  t: QrApp
  /** Only when asked for: a real auth-api the exchange reaches. */
  authApi: AuthApi | undefined
  close(): Promise<void>
}

/** A test file's database and app (and auth-api when the file exchanges), undone by close(). */
export async function openQrTestEnv(
  options: { authApi?: boolean; env?: Record<string, string> } = {},
): Promise<QrTestEnv> {
  const authApi = options.authApi ? await startAuthApi() : undefined
  const db = await openQrDb()
  const t = await startQrApp(db, {
    authApiUrl: authApi?.url ?? NO_AUTH_API,
    ...(options.env ? { env: options.env } : {}),
  })
  return {
    db,
    t,
    authApi,
    async close() {
      await t.app.close()
      await db.close()
      await authApi?.close()
    },
  }
}
