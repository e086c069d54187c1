import cookie from '@fastify/cookie'
import { createServiceApp, type ServiceDeps, type ServiceInstance, systemClock } from '@gatehouse/service-kit'
import { createAccessTokens } from './access-tokens.ts'
import { createAccountMail } from './account-mail.ts'
import { type BackgroundTasks, createBackgroundTasks } from './background-tasks.ts'
import type { Config } from './config.ts'
import { mfaCookie } from './http/mfa-cookie.ts'
import { rateLimitStore } from './http/rate-limits.ts'
import { refreshCookie } from './http/refresh-cookie.ts'
import { createMailer, type Mailer } from './mail/mailer.ts'
import { createOAuthProvider } from './oauth/providers.ts'
import { oauthStateCookie } from './oauth/state-cookie.ts'
import { adminRoutes } from './routes/admin.ts'
import { authRoutes } from './routes/auth.ts'
import { emailRoutes } from './routes/email.ts'
import { healthRoutes } from './routes/health.ts'
import { internalRoutes } from './routes/internal.ts'
import { internalLookupRoutes } from './routes/internal-lookups.ts'
import { jwksRoutes } from './routes/jwks.ts'
import { oauthRoutes } from './routes/oauth.ts'
import { passwordRoutes } from './routes/password.ts'
import { sessionRoutes } from './routes/sessions.ts'
import { twoFactorRoutes } from './routes/two-factor.ts'
import { createSessionRevocations } from './session-revocations.ts'
import { createSigningKeyRing } from './signing-keys.ts'
import { createTwoFactorSecretBox } from './two-factor/secret-box.ts'
import type { TwoFactorDeps } from './two-factor/two-factor.ts'

export interface AppDeps extends ServiceDeps<Config> {
  /** Built from SMTP_URL / the mail folder when not given. */
  mailer?: Mailer
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Mail and deferred work after the answer; `drain()` waits for it (shutdown does too). */
    backgroundTasks: BackgroundTasks
  }
}

// Bodies here are a few small JSON fields; anything larger is refused with 413 before parsing.
const BODY_LIMIT_BYTES = 16 * 1024
const SIGNING_KEY_CACHE_SECONDS = 60

export function buildApp(appDeps: AppDeps): ServiceInstance {
  const { config, db, clock = systemClock } = appDeps
  const app = createServiceApp('auth-api', appDeps, {
    bodyLimit: BODY_LIMIT_BYTES,
    // Secure cookies mean TLS in front: browsers are told to keep to it.
    hsts: config.COOKIE_SECURE,
  })
  const revocations = createSessionRevocations({ redisUrl: config.REDIS_URL, log: app.log })
  app.addHook('onClose', () => revocations.close())

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
  const lockout = {
    threshold: config.LOCKOUT_THRESHOLD,
    baseSeconds: config.LOCKOUT_BASE_SECONDS,
    maxSeconds: config.LOCKOUT_MAX_SECONDS,
  }
  const mailLimits = {
    windowSeconds: config.RATE_LIMIT_MAIL_WINDOW_SECONDS,
    perAccount: config.RATE_LIMIT_MAIL_PER_ACCOUNT,
    perIp: config.RATE_LIMIT_MAIL_PER_IP,
  }

  const twoFactor: TwoFactorDeps = {
    box: config.TWO_FACTOR_ENCRYPTION_KEY
      ? createTwoFactorSecretBox({
          current: config.TWO_FACTOR_ENCRYPTION_KEY,
          ...(config.TWO_FACTOR_ENCRYPTION_KEY_PREVIOUS
            ? { previous: config.TWO_FACTOR_ENCRYPTION_KEY_PREVIOUS }
            : {}),
        })
      : undefined,
    lockout: {
      threshold: config.TWO_FACTOR_LOCKOUT_THRESHOLD,
      baseSeconds: config.TWO_FACTOR_LOCKOUT_BASE_SECONDS,
      maxSeconds: config.TWO_FACTOR_LOCKOUT_MAX_SECONDS,
    },
    issuer: config.TWO_FACTOR_ISSUER,
  }
  const mfaCookies = mfaCookie({ secure: config.COOKIE_SECURE })

  const providers = new Map(
    config.oauthProviders.map((provider) => [
      provider.name,
      createOAuthProvider(provider, { timeoutSeconds: config.OAUTH_HTTP_TIMEOUT_SECONDS }),
    ]),
  )

  const tasks = createBackgroundTasks(app.log)
  const mailer =
    appDeps.mailer ??
    createMailer({
      from: config.MAIL_FROM,
      mailDir: config.mailDir,
      log: app.log,
      ...(config.SMTP_URL ? { smtpUrl: config.SMTP_URL } : {}),
    })
  const accountMail = createAccountMail({
    db: db.db,
    clock,
    mailer,
    tasks,
    settings: {
      appUrl: config.APP_URL,
      verificationTtlSeconds: config.EMAIL_VERIFICATION_TTL,
      resetTtlSeconds: config.PASSWORD_RESET_TTL,
    },
  })
  app.decorate('backgroundTasks', tasks)
  app.addHook('onClose', async () => {
    await tasks.drain()
    mailer.close()
  })

  app.register(cookie)
  app.register(rateLimitStore, { ...(config.REDIS_URL ? { redisUrl: config.REDIS_URL } : {}) })
  app.register(healthRoutes, { database: db })
  app.register(jwksRoutes, { signingKeys, issuer: config.JWT_ISSUER, publicUrl: config.PUBLIC_URL })
  app.register(authRoutes, {
    prefix: '/api/auth',
    db: db.db,
    clock,
    accessTokens,
    refreshCookie: cookies,
    sessionTtlSeconds,
    refreshGraceSeconds,
    lockout,
    accountMail,
    requireVerifiedEmail: config.REQUIRE_EMAIL_VERIFICATION,
    mfaChallengeTtlSeconds: config.MFA_CHALLENGE_TTL,
    revocations,
    limits: {
      windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS,
      loginPerIp: config.RATE_LIMIT_LOGIN_PER_IP,
      loginPerAccount: config.RATE_LIMIT_LOGIN_PER_ACCOUNT,
      registerPerIp: config.RATE_LIMIT_REGISTER_PER_IP,
    },
  })
  app.register(emailRoutes, {
    prefix: '/api/auth',
    db: db.db,
    clock,
    accessTokens,
    accountMail,
    lockout,
    limits: mailLimits,
  })
  app.register(passwordRoutes, {
    prefix: '/api/auth',
    db: db.db,
    clock,
    accessTokens,
    accountMail,
    lockout,
    limits: mailLimits,
    revocations,
  })
  app.register(twoFactorRoutes, {
    prefix: '/api/auth/2fa',
    db: db.db,
    clock,
    accessTokens,
    refreshCookie: cookies,
    twoFactor,
    lockout,
    mfaCookie: mfaCookies,
    sessionTtlSeconds,
    limits: { windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS, verifyPerIp: config.RATE_LIMIT_LOGIN_PER_IP },
  })
  app.register(oauthRoutes, {
    prefix: '/api/auth',
    db: db.db,
    clock,
    accessTokens,
    refreshCookie: cookies,
    providers,
    // Unused without providers; config requires COOKIE_SECRET as soon as one is configured.
    stateCookie: oauthStateCookie({ secret: config.COOKIE_SECRET ?? '', secure: config.COOKIE_SECURE }),
    mfaCookie: mfaCookies,
    returnUrls: config.oauthReturnUrls,
    publicUrl: config.PUBLIC_URL,
    stateTtlSeconds: config.OAUTH_STATE_TTL,
    signIn: { sessionTtlSeconds, mfaChallengeTtlSeconds: config.MFA_CHALLENGE_TTL },
    revocations,
  })
  app.register(sessionRoutes, {
    prefix: '/api/auth/sessions',
    db: db.db,
    clock,
    accessTokens,
    refreshCookie: cookies,
    revocations,
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
  app.register(internalLookupRoutes, {
    prefix: '/internal',
    db: db.db,
    clock,
    internalSecret: config.INTERNAL_SECRET,
  })
  return app
}
