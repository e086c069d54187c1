import { dirname, join } from 'node:path'
import { ConfigError, commonEnv, defaultDataDir, loadConfig, loadDevSecrets } from '@gatehouse/service-kit'
import Type, { type Static } from 'typebox'

const seconds = (fallback: number, minimum = 1) => Type.Integer({ default: fallback, minimum })

export const configSchema = Type.Object({
  ...commonEnv,
  PORT: Type.Integer({ default: 3001, minimum: 1, maximum: 65535 }),
  /** Verifies service tokens of other services (qr-auth) on /internal/*. Required in production. */
  INTERNAL_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  /** `Authorization: Bearer $CRON_SECRET` on /api/admin/cleanup-sessions. Required in production. */
  CRON_SECRET: Type.Optional(Type.String({ minLength: 16 })),
  JWT_ISSUER: Type.String({ default: 'gatehouse-auth-api', minLength: 1 }),
  JWT_AUDIENCE: Type.String({ default: 'gatehouse', minLength: 1 }),
  ACCESS_TOKEN_TTL: seconds(900, 30),
  /** Seed compatibility: when set, access tokens are HS256 with this secret instead of the JWKS key. */
  JWT_ACCESS_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  SESSION_TTL: seconds(30 * 24 * 3600, 60),
  /** How long a just-rotated refresh token may be presented again and get the same successor. */
  REFRESH_REUSE_GRACE: seconds(10, 0),
  COOKIE_SECURE: Type.Boolean({ default: true }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  /** Comma-separated addresses/CIDRs (or proxy-addr names like `loopback`) whose X-Forwarded-For is believed. */
  TRUST_PROXY: Type.String({ default: 'loopback' }),
  LOCKOUT_THRESHOLD: Type.Integer({ default: 5, minimum: 1 }),
  LOCKOUT_BASE_SECONDS: seconds(60),
  LOCKOUT_MAX_SECONDS: seconds(900),
  RATE_LIMIT_WINDOW_SECONDS: seconds(60),
  RATE_LIMIT_LOGIN_PER_IP: Type.Integer({ default: 20, minimum: 1 }),
  RATE_LIMIT_LOGIN_PER_ACCOUNT: Type.Integer({ default: 10, minimum: 1 }),
  RATE_LIMIT_REGISTER_PER_IP: Type.Integer({ default: 10, minimum: 1 }),
})

export type Config = Readonly<Static<typeof configSchema>>

const PRODUCTION_SECRETS = ['INTERNAL_SECRET', 'CRON_SECRET'] as const

/** Pure: tests hand it a plain object. In production the secrets are mandatory. */
export function loadAuthApiConfig(env: Record<string, string | undefined> = process.env): Config {
  const config = loadConfig(configSchema, env)
  if (config.NODE_ENV === 'production') {
    const missing = PRODUCTION_SECRETS.filter((name) => !config[name])
    if (missing.length > 0) throw new ConfigError(missing.map((name) => `${name}: is required in production`))
  }
  return config
}

/** Operator scripts (seed:demo, keys:rotate) need the database settings, not the service's secrets. */
export function loadScriptConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, env)
}

/**
 * server.ts: outside production, secrets that are not set are generated once into
 * `.data/secrets.json` (the file `pnpm start` uses too) so a bare machine starts without configuration.
 */
export function loadServerConfig(env: Record<string, string | undefined> = process.env): Config {
  if (env.NODE_ENV === 'production') return loadAuthApiConfig(env)
  const missing = PRODUCTION_SECRETS.filter((name) => !env[name])
  if (missing.length === 0) return loadAuthApiConfig(env)
  const generated = loadDevSecrets(join(dirname(defaultDataDir('auth-api')), 'secrets.json'), missing)
  return loadAuthApiConfig({ ...env, ...Object.fromEntries(missing.map((name) => [name, generated[name]])) })
}

/** `none` trusts no proxy: request.ip is then the socket address. */
export function trustedProxies(config: Config): string[] | false {
  if (config.TRUST_PROXY.trim() === 'none') return false
  return config.TRUST_PROXY.split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
}
