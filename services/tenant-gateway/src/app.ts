import {
  createInternalClient,
  createServiceApp,
  SESSION_REVOKED_CHANNEL,
  type ServiceDeps,
  type ServiceInstance,
  systemClock,
} from '@gatehouse/service-kit'
import { adminAuth } from './callers/admin-auth.ts'
import { createAuthApiLookups } from './callers/auth-api-lookups.ts'
import { createSessionGuard } from './callers/session-guard.ts'
import { createTenantResolver } from './callers/tenant-resolution.ts'
import { createUserTokenVerifier } from './callers/user-tokens.ts'
import type { Config } from './config.ts'
import { docsRoutes } from './docs/docs-routes.ts'
import { corsPolicy } from './infra/cors.ts'
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
import { countKeyVerifications } from './keys/verification-metrics.ts'
import { proxyRoutes } from './proxy/proxy-routes.ts'
import { upstreamsOf } from './proxy/route-table.ts'
import { memberRoutes } from './tenants/member-routes.ts'
import { createMemberUsers } from './tenants/member-users.ts'
import type { TenantAccess } from './tenants/memberships.ts'
import { tenantRoutes } from './tenants/tenant-routes.ts'
import { createMeteringLane } from './usage/metering-lane.ts'
import { createQuotaTracker, type QuotaTracker } from './usage/quota-tracker.ts'
import type { UsageSink } from './usage/usage-sink.ts'
import { exportUsageMetrics, usageReadiness, usageSinkOf } from './usage/usage-stream.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** Monthly quotas and usage alerts (tests call its refresh() instead of waiting for the timer). */
    usageQuotas: QuotaTracker
  }
}

/** A month-to-date or alerts call to metering, in the background: never a client's wait. */
const METERING_CALL_TIMEOUT_MS = 5_000

export interface AppDeps extends ServiceDeps<Config> {
  /** Where usage events go; by default what USAGE_SINK says (batched to metering, or discarded). */
  usageSink?: UsageSink
}

export async function buildApp(appDeps: AppDeps): Promise<ServiceInstance> {
  const { config, db, clock = systemClock, usageSink } = appDeps
  const app = createServiceApp('tenant-gateway', appDeps)
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
  const keys = countKeyVerifications(
    app.metrics,
    createKeyVerifier({
      db: db.db,
      hasher,
      cache: keyCache,
      clock,
      acceptLegacy: config.LEGACY_API_KEYS,
      onVerified: (keyId, at) => lastUsed.add({ keyId, at }),
    }),
  )
  // auth-api ends sessions: heard on Redis within a second, asked of auth-api at most every KEY_CACHE_TTL_MS.
  const lookups = createAuthApiLookups({
    baseUrl: config.authInternalUrl,
    internalSecret: config.INTERNAL_SECRET,
  })
  const revocations = createInvalidationBus({
    redisUrl: config.REDIS_URL,
    log,
    channel: SESSION_REVOKED_CHANNEL,
    listenOnly: true,
  })
  const sessions = createSessionGuard({
    lookups,
    revocations,
    cacheTtlMs: config.KEY_CACHE_TTL_MS,
    tokenLifetimeMs: config.AUTH_ACCESS_TOKEN_TTL * 1000,
    clock,
  })
  const users = createUserTokenVerifier(config, clock, sessions)
  const tenants = createTenantResolver({ db: db.db, keys, users, accessCache })
  const auditTokens =
    config.AUDIT_INTERNAL_TOKENS === 'true' ||
    (config.AUDIT_INTERNAL_TOKENS === 'auto' && db.kind === 'postgres')
  const audit = auditTokens ? createTokenAudit(db.db, log) : noTokenAudit
  const usageExceeded = app.metrics.counter(
    'gateway_usage_exceeded_total',
    'Tenant requests refused because the monthly quota is used up.',
  )
  const lane = createMeteringLane()
  const quotas = createQuotaTracker({
    clock,
    lane,
    log,
    refreshMs: config.USAGE_QUOTA_REFRESH_MS,
    // USAGE_SINK=discard: no metering to ask; the quota counts this replica's requests only.
    ...(config.USAGE_SINK === 'metering'
      ? {
          metering: createInternalClient({
            baseUrl: String(config.upstreamUrls.metering),
            secret: config.INTERNAL_SECRET,
            issuer: 'tenant-gateway',
            audience: 'metering',
            timeoutMs: METERING_CALL_TIMEOUT_MS,
            connections: 2,
          }),
        }
      : {}),
    onExceeded: () => usageExceeded.inc(),
  })
  const usage =
    usageSink ??
    usageSinkOf(config, log, {
      onSettled: (events) => quotas.settled(events),
      lane,
    })
  exportUsageMetrics(app.metrics, usage)
  app.decorate('usageQuotas', quotas)
  app.addHook('onReady', async () => quotas.start())
  app.addHook('onClose', () => quotas.close())

  // Fastify closes plugins in reverse order: buffered writes are flushed before the Redis connections close.
  await app.register(corsPolicy, { origins: config.corsOrigins })
  await app.register(invalidationChannel, { bus })
  await app.register(invalidationChannel, { bus: revocations })
  app.addHook('onClose', () => lookups.close())
  await app.register(rateLimiting, { redisUrl: config.REDIS_URL, failOpen: config.RATE_LIMIT_FAIL_OPEN })
  await app.register(pendingWrites, { writers: [lastUsed, audit, usage] })
  await app.register(usageReadiness, { sink: usage })
  const limiter = app.rateLimiter

  const deps = { db: db.db, clock, bus }
  const adminLimits = {
    read: { max: config.ADMIN_RATE_LIMIT_MAX, windowMs: config.ADMIN_RATE_LIMIT_WINDOW_MS },
    write: { max: config.ADMIN_WRITE_RATE_LIMIT_MAX, windowMs: config.ADMIN_RATE_LIMIT_WINDOW_MS },
  }
  await app.register(async (admin) => {
    await admin.register(adminAuth, { users, limiter, limits: adminLimits })
    await admin.register(tenantRoutes, { prefix: '/api/tenants', ...deps })
    await admin.register(memberRoutes, {
      prefix: '/api/tenants',
      ...deps,
      users: createMemberUsers({ lookups, clock }),
    })
    await admin.register(tenantKeyRoutes, {
      prefix: '/api/tenants',
      ...deps,
      hasher,
      defaultOverlapMs: config.keyRotationOverlapMs,
    })
  })
  await app.register(keyRoutes, { prefix: '/api/keys', keys, limiter, quotas, config })
  await app.register(docsRoutes, { upstreams: upstreamsOf(config), clock })
  await app.register(proxyRoutes, {
    upstreams: upstreamsOf(config),
    config,
    tenants,
    limiter,
    usage,
    quotas,
    audit,
    clock,
  })
  return app
}
