import { dirname, join } from 'node:path'
import { dataRoot } from '@gatehouse/db-kit'
import {
  ConfigError,
  configOrExit,
  devSecretsFileOf,
  loadServiceConfig,
  secretEnv,
  serviceEnv,
} from '@gatehouse/service-kit'
import Type from 'typebox'
import { type OAuthProviderConfig, oauthProvidersFrom } from './oauth/provider-config.ts'

const seconds = (fallback: number, minimum = 1) => Type.Integer({ default: fallback, minimum })
const count = (fallback: number) => Type.Integer({ default: fallback, minimum: 1 })
const httpUrl = (fallback?: string) =>
  fallback === undefined
    ? Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$' }))
    : Type.String({ default: fallback, pattern: '^https?://[^\\s]+$' })

export const configSchema = Type.Object({
  // INTERNAL_SECRET verifies service tokens of other services (qr-auth) on /internal/*.
  ...serviceEnv('auth-api'),
  /** `Authorization: Bearer $CRON_SECRET` on /api/admin/cleanup-sessions. Required in production. */
  CRON_SECRET: secretEnv(16),
  JWT_ISSUER: Type.String({ default: 'gatehouse-auth-api', minLength: 1 }),
  JWT_AUDIENCE: Type.String({ default: 'gatehouse', minLength: 1 }),
  ACCESS_TOKEN_TTL: seconds(900, 30),
  /** Seed compatibility: when set, access tokens are HS256 with this secret instead of the JWKS key. */
  JWT_ACCESS_SECRET: secretEnv(),
  SESSION_TTL: seconds(30 * 24 * 3600, 60),
  /** How long a just-rotated refresh token may be presented again and get the same successor. */
  REFRESH_REUSE_GRACE: seconds(10, 0),
  COOKIE_SECURE: Type.Boolean({ default: true }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  /** Comma-separated addresses/CIDRs (or proxy-addr names like `loopback`) whose X-Forwarded-For is believed; `none` trusts nobody. */
  TRUST_PROXY: Type.String({ default: 'loopback' }),
  LOCKOUT_THRESHOLD: Type.Integer({ default: 5, minimum: 1 }),
  LOCKOUT_BASE_SECONDS: seconds(60),
  LOCKOUT_MAX_SECONDS: seconds(900),
  RATE_LIMIT_WINDOW_SECONDS: seconds(60),
  RATE_LIMIT_LOGIN_PER_IP: Type.Integer({ default: 20, minimum: 1 }),
  RATE_LIMIT_LOGIN_PER_ACCOUNT: Type.Integer({ default: 10, minimum: 1 }),
  RATE_LIMIT_REGISTER_PER_IP: Type.Integer({ default: 10, minimum: 1 }),

  /** Where people open the links of our mails (the web app); also the default OAuth return URL. */
  APP_URL: httpUrl('http://127.0.0.1:8080'),
  /** Where browsers reach this API (the gateway): OAuth redirect URIs are built from it. */
  PUBLIC_URL: httpUrl('http://127.0.0.1:8080'),
  /** smtp://user:pass@host:587 or smtps://...; required in production. Unset elsewhere: mail goes to files. */
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://[^\\s]+$' })),
  MAIL_FROM: Type.String({ default: 'Gatehouse <no-reply@gatehouse.local>', minLength: 3 }),
  /** Folder of the mail files when SMTP_URL is unset; default `<data root>/mail` (beside DATA_DIR). */
  MAIL_DIR: Type.Optional(Type.String({ minLength: 1 })),
  /** Seed 003 says "verify email before allowing login"; off by default so sign-up works without a mailbox. */
  REQUIRE_EMAIL_VERIFICATION: Type.Boolean({ default: false }),
  EMAIL_VERIFICATION_TTL: seconds(24 * 3600, 60),
  PASSWORD_RESET_TTL: seconds(30 * 60, 60),
  /** Mail-sending routes (resend verification, password reset, email change), per account and per IP. */
  RATE_LIMIT_MAIL_WINDOW_SECONDS: seconds(3600),
  RATE_LIMIT_MAIL_PER_ACCOUNT: count(5),
  RATE_LIMIT_MAIL_PER_IP: count(30),

  /** AES-256-GCM key (derived with HKDF) for `users.two_factor_secret`. Required in production. */
  TWO_FACTOR_ENCRYPTION_KEY: secretEnv(),
  /** The key before the last rotation: still decrypts, and secrets are re-encrypted under the current one on use. */
  TWO_FACTOR_ENCRYPTION_KEY_PREVIOUS: secretEnv(),
  /** The issuer label authenticator apps show. */
  TWO_FACTOR_ISSUER: Type.String({ default: 'Gatehouse', minLength: 1, maxLength: 64 }),
  MFA_CHALLENGE_TTL: seconds(300, 30),
  TWO_FACTOR_LOCKOUT_THRESHOLD: count(5),
  TWO_FACTOR_LOCKOUT_BASE_SECONDS: seconds(300),
  TWO_FACTOR_LOCKOUT_MAX_SECONDS: seconds(3600),

  /** Seals the short-lived OAuth state cookie (state, nonce, PKCE verifier). Required in production. */
  COOKIE_SECRET: secretEnv(),
  /** Comma-separated provider names, e.g. `google,github`; each is configured by OAUTH_<NAME>_* variables. */
  OAUTH_PROVIDERS: Type.String({ default: '', pattern: '^[a-z0-9,\\s-]*$' }),
  /** Comma-separated URLs the OAuth callback may redirect to (same origin, path under one of them). Default APP_URL. */
  OAUTH_RETURN_URLS: Type.Optional(Type.String({ minLength: 1 })),
  OAUTH_STATE_TTL: seconds(600, 60),
  OAUTH_HTTP_TIMEOUT_SECONDS: seconds(5),
})

/** The secrets this service refuses to start without in production. */
const PRODUCTION_SECRETS = [
  'INTERNAL_SECRET',
  'CRON_SECRET',
  'TWO_FACTOR_ENCRYPTION_KEY',
  'COOKIE_SECRET',
] as const

type Env = Record<string, string | undefined>

/** Pure: tests hand it a plain object. */
export function loadAuthApiConfig(env: Env = process.env, options: { devSecretsFile?: string } = {}) {
  const base = loadServiceConfig(configSchema, env, { productionSecrets: PRODUCTION_SECRETS, ...options })
  const problems: string[] = []
  // Writing mail to files is a development helper; production sends it.
  if (base.NODE_ENV === 'production' && !base.SMTP_URL) problems.push('SMTP_URL: is required in production')
  let oauthProviders: OAuthProviderConfig[] = []
  try {
    oauthProviders = oauthProvidersFrom(base.OAUTH_PROVIDERS, env, base.PUBLIC_URL)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    problems.push(...error.problems)
  }
  if (oauthProviders.length > 0 && !base.COOKIE_SECRET)
    problems.push('COOKIE_SECRET: is required when OAUTH_PROVIDERS is set (pnpm start generates one)')
  const returnUrls = (base.OAUTH_RETURN_URLS ?? base.APP_URL)
    .split(',')
    .map((url) => url.trim())
    .filter(Boolean)
  for (const url of returnUrls) {
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
      problems.push(`OAUTH_RETURN_URLS: invalid value (${url} is not an http(s) URL)`)
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return Object.freeze({
    ...base,
    mailDir: base.MAIL_DIR ?? mailDirOf(env),
    oauthProviders,
    oauthReturnUrls: returnUrls,
  })
}

/** `.data/mail` beside the service's data folder, like `.data/secrets.json`. */
function mailDirOf(env: Env): string {
  return env.DATA_DIR ? join(dirname(env.DATA_DIR), 'mail') : join(dataRoot(env), 'mail')
}

export type Config = ReturnType<typeof loadAuthApiConfig>

/** server.ts: process.env, development secrets generated once into .data/secrets.json, exit 1 on a bad variable. */
export function loadAuthApiConfigOrExit(): Config {
  return configOrExit('auth-api', () =>
    loadAuthApiConfig(process.env, { devSecretsFile: devSecretsFileOf(process.env) }),
  )
}
