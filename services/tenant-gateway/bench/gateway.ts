/**
 * The gateway under test, in its own process, on a fresh embedded database (or BENCH_DATABASE_URL), with one
 * tenant whose limit is high enough never to refuse (the check still runs on every request) and one API key.
 */
import { fileURLToPath } from 'node:url'
import { randomToken } from '@gatehouse/crypto'
import { createDb, migrateUp } from '@gatehouse/db-kit'
import { eq } from 'drizzle-orm'
import { createKey, keyHasherOf } from '../src/api-keys.ts'
import { buildApp } from '../src/app.ts'
import { loadTenantGatewayConfig } from '../src/config.ts'
import { clients } from '../src/db/schema/index.ts'
import { createTenant } from '../src/tenants.ts'

const upstreamUrl = process.argv[2]!
const databaseUrl = process.env.BENCH_DATABASE_URL
const db = await createDb(databaseUrl ? { url: databaseUrl } : {})
await migrateUp(db, {
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  service: 'tenant-gateway',
})
const config = loadTenantGatewayConfig({
  NODE_ENV: 'production',
  API_KEY_PEPPER: randomToken(),
  INTERNAL_SECRET: randomToken(),
  BOM_TRIGGERS_URL: upstreamUrl,
  LOG_LEVEL: 'warn',
  AUDIT_INTERNAL_TOKENS: process.env.X_AUDIT ?? 'true',
  ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
})
const tenant = await createTenant(db.db, 'bench', 'bench-user', new Date())
await db.db
  .update(clients)
  .set({ rateLimitMax: 2_000_000_000, rateLimitWindowMs: 60_000 })
  .where(eq(clients.id, tenant.id))
const { key } = await createKey(
  db.db,
  keyHasherOf(config),
  tenant.id,
  { name: 'bench', scopes: [], expiresAt: null },
  new Date(),
)
const app = await buildApp({ config, db })
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
process.send?.({
  port: typeof address === 'object' && address ? address.port : 0,
  key,
  store: config.REDIS_URL ? 'redis' : 'memory',
  database: db.kind,
})
process.on(
  'disconnect',
  () =>
    void app
      .close()
      .then(() => db.close())
      .then(() => process.exit(0)),
)
