import type { DbHandle } from '@gatehouse/db-kit'
import { createService, type LoggerSettings, type ServiceInstance, withTimeout } from '@gatehouse/service-kit'
import { keyHasherOf } from './api-keys.ts'
import { type Clock, systemClock } from './clock.ts'
import type { Config } from './config.ts'
import { createInvalidationBus } from './invalidation.ts'
import { TenantScopedCache } from './key-cache.ts'
import { createKeyVerifier, type VerifiedKey } from './key-verification.ts'
import { createLastUsedRecorder } from './last-used.ts'
import type { TenantAccess } from './memberships.ts'
import { createRateLimiter } from './rate-limit.ts'
import { closeRedis, connectRedis } from './redis.ts'
import { requireUserToken } from './routes/admin-auth.ts'
import { keyRoutes } from './routes/keys.ts'
import { memberRoutes } from './routes/members.ts'
import { proxyRoutes } from './routes/proxy.ts'
import { tenantKeyRoutes } from './routes/tenant-keys.ts'
import { tenantRoutes } from './routes/tenants.ts'
import { createTenantResolver } from './tenant-resolution.ts'
import { createTokenAudit, noTokenAudit } from './token-audit.ts'
import { upstreamsOf } from './upstreams.ts'
import { discardUsage, type UsageSink } from './usage-sink.ts'
import { createUserTokenVerifier } from './user-tokens.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** Writes buffered last_used_at and token-audit rows now (tests; shutdown does it too). */
    flushPendingWrites(): Promise<void>
  }
}

export interface AppDeps {
  config: Config
  db: DbHandle
  logger?: LoggerSettings | false
  /** Time for anything with a TTL; tests pass createTestClock(). */
  clock?: Clock
  /** Where usage events go; dropped by default until metering is wired (next issue). */
  usageSink?: UsageSink
}

export async function buildApp({
  config,
  db,
  logger,
  clock = systemClock,
  usageSink,
}: AppDeps): Promise<ServiceInstance> {
  const app = createService({
    name: 'tenant-gateway',
    database: db,
    logger: logger ?? { level: config.LOG_LEVEL, pretty: config.LOG_PRETTY },
    trustProxy: config.TRUST_PROXY ? config.TRUST_PROXY.split(',').map((entry) => entry.trim()) : false,
  })
  const log = app.log

  const hasher = keyHasherOf(config)
  const bus = createInvalidationBus({ redisUrl: config.REDIS_URL, log })
  const keyCache = new TenantScopedCache<VerifiedKey>(config.KEY_CACHE_TTL_MS, clock)
  const accessCache = new TenantScopedCache<TenantAccess>(config.KEY_CACHE_TTL_MS, clock)
  bus.subscribe((clientId) => {
    keyCache.invalidateTenant(clientId)
    accessCache.invalidateTenant(clientId)
  })
  const lastUsed = createLastUsedRecorder(db.db, log)
  const keys = createKeyVerifier({
    db: db.db,
    hasher,
    cache: keyCache,
    clock,
    acceptLegacy: config.LEGACY_API_KEYS,
    onVerified: (keyId, at) => lastUsed.add({ keyId, at }),
  })
  const users = createUserTokenVerifier(config, clock)
  const tenants = createTenantResolver({ db: db.db, keys, users, accessCache })
  const redis = config.REDIS_URL ? connectRedis(config.REDIS_URL, log, 'rate-limit') : undefined
  const limiter = await createRateLimiter(app, { redis, config })
  const auditTokens =
    config.AUDIT_INTERNAL_TOKENS === 'true' ||
    (config.AUDIT_INTERNAL_TOKENS === 'auto' && db.kind === 'postgres')
  const audit = auditTokens ? createTokenAudit(db.db, log) : noTokenAudit
  const usage = usageSink ?? discardUsage

  app.decorate('flushPendingWrites', async () => {
    await Promise.all([lastUsed.flush(), audit.flush()])
  })
  // Start even when Redis is down: revocations then reach this replica through the cache TTL.
  app.addHook('onReady', async () => {
    await withTimeout(bus.ready(), 2_000).catch(() => log.warn('invalidation channel not subscribed yet'))
  })
  app.addHook('onClose', async () => {
    await Promise.all([lastUsed.close(), audit.close(), usage.close?.()])
    await Promise.all([bus.close(), redis ? closeRedis(redis) : undefined])
  })

  const deps = { db: db.db, clock, bus }
  await app.register(async (admin) => {
    requireUserToken(admin, users)
    await admin.register(tenantRoutes, { prefix: '/api/tenants', ...deps })
    await admin.register(memberRoutes, { prefix: '/api/tenants', ...deps })
    await admin.register(tenantKeyRoutes, {
      prefix: '/api/tenants',
      ...deps,
      hasher,
      defaultOverlapMs: config.keyRotationOverlapMs,
    })
  })
  await app.register(keyRoutes, { prefix: '/api/keys', keys, limiter, config })
  await app.register(proxyRoutes, {
    upstreams: upstreamsOf(config),
    config,
    tenants,
    limiter,
    usage,
    audit,
    clock,
  })
  return app
}
