/**
 * The gateway under test, in its own process, with one tenant whose limit is high enough never to refuse (the
 * check still runs on every request) and one API key. Database: a fresh in-memory PGlite, or with
 * TEST_DATABASE_URL (run.ts passes BENCH_DATABASE_URL) a fresh database on that PostgreSQL server, dropped after.
 * Production settings otherwise: LOG_LEVEL=warn, AUDIT_INTERNAL_TOKENS=auto, REDIS_URL when set.
 */
import { randomToken } from '@gatehouse/crypto'
import { createTestDb } from '@gatehouse/db-kit/testing'
import { answerCpuQuestions } from '@gatehouse/service-kit/bench'
import { eq } from 'drizzle-orm'
import { buildApp } from '../src/app.ts'
import { loadTenantGatewayConfig } from '../src/config.ts'
import { clients } from '../src/db/schema/index.ts'
import { createKey, keyHasherOf } from '../src/keys/api-keys.ts'
import { createTenant } from '../src/tenants/tenants.ts'

const upstreamUrl = process.argv[2]!
const db = await createTestDb({
  migrationsDir: new URL('../migrations', import.meta.url).pathname,
  service: 'tenant-gateway',
})
const config = loadTenantGatewayConfig({
  NODE_ENV: 'production',
  API_KEY_PEPPER: randomToken(),
  // Shared with bench/metering.ts when the usage sink posts to it.
  INTERNAL_SECRET: process.env.INTERNAL_SECRET ?? randomToken(),
  BOM_TRIGGERS_URL: upstreamUrl,
  METERING_URL: process.env.METERING_URL,
  LOG_LEVEL: 'warn',
  AUDIT_INTERNAL_TOKENS: process.env.AUDIT_INTERNAL_TOKENS,
  REDIS_URL: process.env.REDIS_URL,
  // Usage is discarded, except for the usage-sink row (issue 15), which sets USAGE_SINK=metering and METERING_URL.
  USAGE_SINK: process.env.USAGE_SINK ?? 'discard',
  // Production's platform settings (metrics, load shedding), or with BENCH_PLATFORM=off the baseline without
  // them: no per-request metrics, no load-shedding check.
  ...(process.env.BENCH_PLATFORM === 'off'
    ? { METRICS_ENABLED: 'false', LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '0' }
    : {}),
})
const tenant = await createTenant(db.db, 'bench', 'bench-user', new Date())
await db.db
  .update(clients)
  // enterprise: no monthly quota (issue 15), which the bench's million requests would otherwise exhaust.
  .set({ plan: 'enterprise', rateLimitMax: 2_000_000_000, rateLimitWindowMs: 60_000 })
  .where(eq(clients.id, tenant.id))
const newKey = { name: 'bench', scopes: [], expiresAt: null }
const { key } = await createKey(db.db, keyHasherOf(config), tenant.id, newKey, new Date())
const app = await buildApp({ config, db })
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
const audit =
  config.AUDIT_INTERNAL_TOKENS === 'true' ||
  (config.AUDIT_INTERNAL_TOKENS === 'auto' && db.kind === 'postgres')
process.send?.({
  port: typeof address === 'object' && address ? address.port : 0,
  key,
  setup: `platform plugins ${process.env.BENCH_PLATFORM === 'off' ? 'off' : 'on'}, database ${db.kind}, rate-limit store ${config.REDIS_URL ? 'redis' : 'memory'}, token audit ${audit ? 'on' : 'off'}, usage sink ${config.USAGE_SINK}`,
})
// bench/platform-overhead.ts asks for this process's CPU time around each of its rounds.
answerCpuQuestions()
process.on('disconnect', async () => {
  await app.close()
  await db.close()
  process.exit(0)
})
