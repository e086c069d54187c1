import {
  INTERNAL_CONTEXT_HEADER,
  SERVICE_TOKEN_HEADER,
  signInternalContext,
  signServiceToken,
} from '@gatehouse/service-kit'
import {
  type TestApp as ServiceTestApp,
  serviceTestKit,
  TEST_INTERNAL_SECRET,
  TEST_SERVICE_ENV,
} from '@gatehouse/service-kit/testing/app'
import { buildApp } from '../src/app.ts'
import { type Config, loadMeteringConfig } from '../src/config.ts'

export const INTERNAL_SECRET = TEST_INTERNAL_SECRET
/** Mid-month, so a test can move a few days either way without crossing a month unless it means to. */
export const TEST_START = new Date('2030-03-15T12:00:00.000Z')

export function testConfig(env: Record<string, string> = {}): Config {
  return loadMeteringConfig({ ...TEST_SERVICE_ENV, ...env })
}

export type TestApp = ServiceTestApp<Config>

export const {
  migrationsDir: MIGRATIONS_DIR,
  openTestDb,
  startTestApp,
  closeTestApp,
} = serviceTestKit({
  name: 'metering',
  migrations: new URL('../migrations', import.meta.url),
  buildApp,
  testConfig,
  clockStart: TEST_START,
})

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
