import type { DbHandle } from '@gatehouse/db-kit'
import {
  type Clock,
  createService,
  type LoggerSettings,
  parseTrustedProxies,
  type ServiceInstance,
  systemClock,
} from '@gatehouse/service-kit'
import { adminAuth } from './callers/admin-auth.ts'
import { createTenantResolver } from './callers/tenant-resolution.ts'
import { createUserTokenVerifier } from './callers/user-tokens.ts'
import type { Config } from './config.ts'
import { createInvalidationBus, invalidationChannel } from './infra/invalidation.ts'
import { pendingWrites } from './infra/pending-writes.ts'
import { rateLimiting } from './infra/rate-limit.ts'
import { createTokenAudit, noTokenAudit } from './infra/token-audit.ts'
import { keyHasherOf } from './keys/api-keys.ts'
import { TenantScopedCache } from './keys/key-cache.ts'
import { keyRoutes } from './keys/key-routes.ts'
import { createKeyVerifier, type VerifiedKey } from './keys/key-verification.ts'
import { createLastUsedRecorder } from './keys/last-used.ts'
import { tenantKeyRoutes } from './keys/tenant-key-routes.ts'
import { proxyRoutes } from './proxy/proxy-routes.ts'
import { upstreamsOf } from './proxy/route-table.ts'
import { memberRoutes } from './tenants/member-routes.ts'
import type { TenantAccess } from './tenants/memberships.ts'
import { tenantRoutes } from './tenants/tenant-routes.ts'
import { discardUsage, type UsageSink } from './usage/usage-sink.ts'

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
    trustProxy: parseTrustedProxies(config.TRUST_PROXY),
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
  const auditTokens =
    config.AUDIT_INTERNAL_TOKENS === 'true' ||
    (config.AUDIT_INTERNAL_TOKENS === 'auto' && db.kind === 'postgres')
  const audit = auditTokens ? createTokenAudit(db.db, log) : noTokenAudit
  const usage = usageSink ?? discardUsage

  // Fastify closes plugins in reverse order: buffered writes are flushed before the Redis connections close.
  await app.register(invalidationChannel, { bus })
  await app.register(rateLimiting, { redisUrl: config.REDIS_URL, failOpen: config.RATE_LIMIT_FAIL_OPEN })
  await app.register(pendingWrites, { writers: [lastUsed, audit, usage] })
  const limiter = app.rateLimiter

  const deps = { db: db.db, clock, bus }
  await app.register(async (admin) => {
    await admin.register(adminAuth, { users })
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
