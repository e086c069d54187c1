import cookie from '@fastify/cookie'
import type { DbHandle } from '@gatehouse/db-kit'
import { createService, type LoggerSettings, type ServiceInstance } from '@gatehouse/service-kit'
import { Redis } from 'ioredis'
import { createAccessTokens } from './access-tokens.ts'
import { type Clock, systemClock } from './clock.ts'
import { type Config, trustedProxies } from './config.ts'
import type { AuthContext } from './context.ts'
import { rateLimitStore } from './http/rate-limits.ts'
import { adminRoutes } from './routes/admin.ts'
import { authRoutes } from './routes/auth.ts'
import { healthRoutes } from './routes/health.ts'
import { internalRoutes } from './routes/internal.ts'
import { jwksRoutes } from './routes/jwks.ts'
import { sessionRoutes } from './routes/sessions.ts'
import { createSigningKeyRing } from './signing-keys.ts'

export interface AppDeps {
  config: Config
  db: DbHandle
  logger?: LoggerSettings | false
  /** Time for anything with a TTL; tests pass createTestClock(). */
  clock?: Clock
}

// Bodies here are a few small JSON fields; anything larger is refused with 413 before parsing.
const BODY_LIMIT_BYTES = 16 * 1024
const SIGNING_KEY_CACHE_SECONDS = 60
const REDIS_READY_TIMEOUT_MS = 2000

function redisReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true)
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady)
      resolve(false)
    }, timeoutMs)
    const onReady = () => {
      clearTimeout(timer)
      resolve(true)
    }
    redis.once('ready', onReady)
  })
}

export function buildApp({ config, db, logger, clock = systemClock }: AppDeps): ServiceInstance {
  const app = createService({
    name: 'auth-api',
    publicPrefix: '/api/auth',
    database: db,
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: trustedProxies(config),
    ...(config.INTERNAL_SECRET ? { internalSecret: config.INTERNAL_SECRET } : {}),
    logger: logger ?? { level: config.LOG_LEVEL, pretty: config.LOG_PRETTY },
  })

  const signingKeys = createSigningKeyRing(db.db, {
    clock,
    cacheSeconds: SIGNING_KEY_CACHE_SECONDS,
    accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL,
  })
  const accessTokens = createAccessTokens(signingKeys, {
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    ttlSeconds: config.ACCESS_TOKEN_TTL,
    clock,
    ...(config.JWT_ACCESS_SECRET ? { hs256Secret: config.JWT_ACCESS_SECRET } : {}),
  })
  const ctx: AuthContext = { config, db: db.db, clock, accessTokens, signingKeys }

  // Offline queue off and one retry: with Redis down a request must not hang (@fastify/rate-limit issue #84).
  const redis = config.REDIS_URL
    ? new Redis(config.REDIS_URL, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: 1000,
      })
    : undefined
  if (redis) {
    redis.on('error', (error) =>
      app.log.warn({ code: (error as { code?: string }).code }, 'redis unavailable'),
    )
    // Without the offline queue, commands sent before the connection is up are skipped: wait for it briefly.
    app.addHook('onReady', async () => {
      if (!(await redisReady(redis, REDIS_READY_TIMEOUT_MS)))
        app.log.warn('redis not ready; rate limits open until it is')
    })
    app.addHook('onClose', async () => {
      redis.disconnect()
    })
  }

  app.register(cookie)
  app.register(rateLimitStore, { ...(redis ? { redis } : {}) })
  app.register(healthRoutes, { database: db })
  app.register(jwksRoutes, { signingKeys })
  app.register(authRoutes, { prefix: '/api/auth', ctx })
  app.register(sessionRoutes, { prefix: '/api/auth/sessions', ctx })
  app.register(adminRoutes, { prefix: '/api/admin', ctx })
  app.register(internalRoutes, { prefix: '/internal', ctx })
  return app
}
