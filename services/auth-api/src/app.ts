import cookie from '@fastify/cookie'
import type { DbHandle } from '@gatehouse/db-kit'
import {
  type Clock,
  createService,
  type LoggerSettings,
  parseTrustedProxies,
  type ServiceInstance,
  systemClock,
} from '@gatehouse/service-kit'
import { createAccessTokens } from './access-tokens.ts'
import type { Config } from './config.ts'
import { rateLimitStore } from './http/rate-limits.ts'
import { refreshCookie } from './http/refresh-cookie.ts'
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

export function buildApp({ config, db, logger, clock = systemClock }: AppDeps): ServiceInstance {
  const app = createService({
    name: 'auth-api',
    database: db,
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: parseTrustedProxies(config.TRUST_PROXY),
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
  const cookies = refreshCookie({ secure: config.COOKIE_SECURE })
  const sessionTtlSeconds = config.SESSION_TTL
  const refreshGraceSeconds = config.REFRESH_REUSE_GRACE

  app.register(cookie)
  app.register(rateLimitStore, { ...(config.REDIS_URL ? { redisUrl: config.REDIS_URL } : {}) })
  app.register(healthRoutes, { database: db })
  app.register(jwksRoutes, { signingKeys })
  app.register(authRoutes, {
    prefix: '/api/auth',
    db: db.db,
    clock,
    accessTokens,
    refreshCookie: cookies,
    sessionTtlSeconds,
    refreshGraceSeconds,
    lockout: {
      threshold: config.LOCKOUT_THRESHOLD,
      baseSeconds: config.LOCKOUT_BASE_SECONDS,
      maxSeconds: config.LOCKOUT_MAX_SECONDS,
    },
    limits: {
      windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS,
      loginPerIp: config.RATE_LIMIT_LOGIN_PER_IP,
      loginPerAccount: config.RATE_LIMIT_LOGIN_PER_ACCOUNT,
      registerPerIp: config.RATE_LIMIT_REGISTER_PER_IP,
    },
  })
  app.register(sessionRoutes, {
    prefix: '/api/auth/sessions',
    db: db.db,
    clock,
    accessTokens,
    refreshCookie: cookies,
  })
  app.register(adminRoutes, {
    prefix: '/api/admin',
    db: db.db,
    clock,
    cronSecret: config.CRON_SECRET,
    refreshGraceSeconds,
  })
  app.register(internalRoutes, {
    prefix: '/internal',
    db: db.db,
    clock,
    accessTokens,
    internalSecret: config.INTERNAL_SECRET,
    sessionTtlSeconds,
  })
  return app
}
