import { randomUUID } from 'node:crypto'
import { INTERNAL_CONTEXT_HEADER, type ServiceInstance, signInternalContext } from '@gatehouse/service-kit'
import {
  type TestApp as ServiceTestApp,
  serviceTestKit,
  TEST_INTERNAL_SECRET,
  TEST_SERVICE_ENV,
} from '@gatehouse/service-kit/testing/app'
import { buildApp } from '../src/app.ts'
import { type Config, loadBomTriggersConfig } from '../src/config.ts'

export const INTERNAL_SECRET = TEST_INTERNAL_SECRET
export const CRON_SECRET = 'test-cron-secret-0123456789abcdefghij'
export const WEBHOOK_SECRET_KEY = 'test-webhook-secret-key-0123456789abcdef'

/** Webhooks may reach the tests' loopback receiver; deliveries are driven by the tests (runOnce). */
export const TEST_ENV: Record<string, string> = {
  ...TEST_SERVICE_ENV,
  CRON_SECRET,
  WEBHOOK_SECRET_KEY,
  WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
  WEBHOOK_DELIVERY: 'false',
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadBomTriggersConfig({ ...TEST_ENV, ...overrides })
}

export type TestApp = ServiceTestApp<Config>

export const {
  migrationsDir: MIGRATIONS_DIR,
  openTestDb,
  startTestApp,
  openTestApp,
  closeTestApp,
} = serviceTestKit({
  name: 'bom-triggers',
  migrations: new URL('../migrations', import.meta.url),
  buildApp,
  testConfig,
})

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
