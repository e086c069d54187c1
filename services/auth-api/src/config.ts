import {
  configOrExit,
  devSecretsFileOf,
  loadServiceConfig,
  secretEnv,
  serviceEnv,
} from '@gatehouse/service-kit'
import Type from 'typebox'

const seconds = (fallback: number, minimum = 1) => Type.Integer({ default: fallback, minimum })

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
})

/** The secrets this service refuses to start without in production. */
const PRODUCTION_SECRETS = ['INTERNAL_SECRET', 'CRON_SECRET'] as const

/** Pure: tests hand it a plain object. */
export function loadAuthApiConfig(
  env: Record<string, string | undefined> = process.env,
  options: { devSecretsFile?: string } = {},
) {
  return loadServiceConfig(configSchema, env, { productionSecrets: PRODUCTION_SECRETS, ...options })
}

export type Config = ReturnType<typeof loadAuthApiConfig>

/** server.ts: process.env, development secrets generated once into .data/secrets.json, exit 1 on a bad variable. */
export function loadAuthApiConfigOrExit(): Config {
  return configOrExit('auth-api', () =>
    loadAuthApiConfig(process.env, { devSecretsFile: devSecretsFileOf(process.env) }),
  )
}
