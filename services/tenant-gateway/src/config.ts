import {
  ConfigError,
  configOrExit,
  devSecretsFileOf,
  loadServiceConfig,
  secretEnv,
  serviceEnv,
  upstreamServices,
  upstreamUrlEnvOf,
} from '@gatehouse/service-kit'
import Type, { type TString } from 'typebox'

type Env = Record<string, string | undefined>

const url = (fallback: string) => Type.String({ default: fallback, pattern: '^https?://' })

const gatewayEnv = {
  ...serviceEnv('tenant-gateway'),
  /** The longest a client waits for an upstream: queueing for a connection, connecting and the answer's headers. */
  UPSTREAM_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100 }),
  /** Keep-alive connections per upstream. */
  UPSTREAM_CONNECTIONS: Type.Integer({ default: 128, minimum: 1, maximum: 4096 }),
  /** Requests that may wait for a connection of one upstream; past it the gateway answers 503 at once. */
  UPSTREAM_MAX_QUEUE: Type.Integer({ default: 256, minimum: 0, maximum: 100_000 }),
  /** Browser origins allowed to call the API (comma-separated, e.g. https://app.example.com); none by default. */
  CORS_ORIGINS: Type.String({ default: '', pattern: '^(\\s*https?://[^\\s,/]+\\s*(,|$))*$' }),
  /** Comma-separated addresses/CIDRs of load balancers in front of the gateway; unset or `none` = the socket address. */
  TRUST_PROXY: Type.Optional(Type.String()),

  /** HMAC pepper for API key hashes; required everywhere (generated outside production). */
  API_KEY_PEPPER: secretEnv(),
  /** The pepper being rotated out: keys hashed under it still verify and are re-hashed on use. */
  API_KEY_PEPPER_PREVIOUS: secretEnv(),
  /** Accept migrated legacy keys (not in the gh_ format). Turn off once they have all been rotated. */
  LEGACY_API_KEYS: Type.Boolean({ default: true }),
  /** How long a verified key stays cached: the upper bound for revocation to reach every replica. */
  KEY_CACHE_TTL_MS: Type.Integer({ default: 5_000, minimum: 0, maximum: 60_000 }),
  /** How long a rotated-out key keeps working, e.g. 24h, 30m, 0. */
  KEY_ROTATION_OVERLAP: Type.String({ default: '24h', pattern: '^[0-9]+(ms|s|m|h|d)$' }),

  /** User access JWTs from auth-api; the JWKS defaults to auth-api's own, at its upstream URL. */
  AUTH_JWKS_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  AUTH_JWT_ISSUER: Type.String({ default: 'gatehouse-auth-api' }),
  AUTH_JWT_AUDIENCE: Type.String({ default: 'gatehouse' }),
  /** auth-api's ACCESS_TOKEN_TTL: a user token claiming a longer life (exp - iat) is refused. */
  AUTH_ACCESS_TOKEN_TTL: Type.Integer({ default: 900, minimum: 30 }),
  /** auth-api's /internal/* (users, session status), authenticated with INTERNAL_SECRET; default AUTH_API_URL. */
  AUTH_INTERNAL_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  /** The seeds' HS256 access-token secret, accepted besides the JWKS when set. */
  JWT_ACCESS_SECRET: secretEnv(),

  /** Rate-limit counters and cache invalidation shared across replicas; in memory and per replica without it. */
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  /** When Redis is unreachable: true lets requests through (logged), false answers 503. */
  RATE_LIMIT_FAIL_OPEN: Type.Boolean({ default: true }),
  /** Per client IP, for POSTs on public routes (login, register, refresh, QR create). */
  AUTH_RATE_LIMIT_MAX: Type.Integer({ default: 30, minimum: 1 }),
  /** Per client IP, for every other request on public routes and for /api/keys/verify. */
  PUBLIC_RATE_LIMIT_MAX: Type.Integer({ default: 600, minimum: 1 }),
  PUBLIC_RATE_LIMIT_WINDOW_MS: Type.Integer({ default: 60_000, minimum: 1_000 }),
  /** Per user and window on the admin routes (/api/tenants/*): reads, and changes (POST, PUT, DELETE). */
  ADMIN_RATE_LIMIT_MAX: Type.Integer({ default: 300, minimum: 1 }),
  ADMIN_WRITE_RATE_LIMIT_MAX: Type.Integer({ default: 60, minimum: 1 }),
  ADMIN_RATE_LIMIT_WINDOW_MS: Type.Integer({ default: 60_000, minimum: 1_000 }),

  /**
   * Record every identity-carrying internal token in verification_tokens. `auto`: on with PostgreSQL, off on the
   * embedded PGlite, where each batch insert would run on the gateway's own event loop (tens of ms per 500 rows).
   */
  AUDIT_INTERNAL_TOKENS: Type.Union([Type.Literal('auto'), Type.Literal('true'), Type.Literal('false')], {
    default: 'auto',
  }),

  /** Where `api.request` usage events go: `metering` (batched to METERING_URL's /internal/usage-events) or `discard`. */
  USAGE_SINK: Type.Union([Type.Literal('metering'), Type.Literal('discard')], { default: 'metering' }),
  /** Events held while metering is slow or down; past it new events are dropped, counted and logged. */
  USAGE_BUFFER_MAX: Type.Integer({ default: 100_000, minimum: 1, maximum: 10_000_000 }),
  /** Events per batch to metering (it takes up to 5,000). */
  USAGE_BATCH_SIZE: Type.Integer({ default: 1_000, minimum: 1, maximum: 5_000 }),
  /** A batch leaves at least this often, full or not. */
  USAGE_FLUSH_INTERVAL_MS: Type.Integer({ default: 1_000, minimum: 10, maximum: 60_000 }),
  /** How often each recently seen tenant's month-to-date use is asked of metering (monthly quotas, alerts). */
  USAGE_QUOTA_REFRESH_MS: Type.Integer({ default: 5_000, minimum: 10, maximum: 600_000 }),
}

/**
 * AUTH_API_URL, QR_AUTH_URL, ...: one per upstream of the service registry, by default on this machine at its
 * registry port. Read back as `Config.upstreamUrls`, keyed by service name.
 */
const upstreamUrlEnv: Record<string, TString> = Object.fromEntries(
  upstreamServices().map(({ name, port }) => [upstreamUrlEnvOf(name), url(`http://127.0.0.1:${port}`)]),
)

/**
 * Every variable the gateway reads (the compose test checks docker-compose.yml against these properties). Its static
 * type holds the gateway's own settings; the upstream URLs are read by name into `upstreamUrls`.
 */
export const configSchema = Type.Object({ ...gatewayEnv, ...upstreamUrlEnv })

const SECRETS = ['API_KEY_PEPPER', 'INTERNAL_SECRET'] as const

function parse<R extends (typeof SECRETS)[number]>(
  env: Env,
  requiredSecrets: readonly R[],
  devSecretsFile?: string,
) {
  const config = loadServiceConfig(configSchema, env, {
    requiredSecrets,
    devSecretsFile,
    withoutInternalSecret: !requiredSecrets.includes('INTERNAL_SECRET' as R),
  })
  if (config.API_KEY_PEPPER_PREVIOUS && config.API_KEY_PEPPER_PREVIOUS === config.API_KEY_PEPPER) {
    throw new ConfigError(['API_KEY_PEPPER_PREVIOUS: must differ from API_KEY_PEPPER'])
  }
  return config
}

export type Config = Readonly<
  ReturnType<typeof parse<(typeof SECRETS)[number]>> & {
    /** Base URL of each upstream, by service name (`auth-api` from AUTH_API_URL). */
    upstreamUrls: Readonly<Record<string, string>>
    keyRotationOverlapMs: number
    jwksUrl: string
    authInternalUrl: string
    corsOrigins: readonly string[]
  }
>

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

export function durationMs(text: string): number {
  const match = /^([0-9]+)(ms|s|m|h|d)$/.exec(text)
  if (!match) throw new RangeError(`invalid duration: ${text}`)
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]
}

/**
 * Pure: tests hand it an object. Secrets are required everywhere; outside production a missing one is taken from
 * `devSecretsFile` (generated once) when given, which only server.ts and the scripts do.
 */
export function loadTenantGatewayConfig(
  env: Env = process.env,
  options: { devSecretsFile?: string } = {},
): Config {
  const config = parse(env, SECRETS, options.devSecretsFile)
  const byVariable = config as Readonly<Record<string, unknown>>
  const upstreamUrls = Object.fromEntries(
    upstreamServices().map(({ name }) => [name, String(byVariable[upstreamUrlEnvOf(name)])]),
  )
  return Object.freeze({
    ...config,
    upstreamUrls: Object.freeze(upstreamUrls),
    keyRotationOverlapMs: durationMs(config.KEY_ROTATION_OVERLAP),
    jwksUrl: config.AUTH_JWKS_URL ?? new URL('/.well-known/jwks.json', upstreamUrls['auth-api']).toString(),
    authInternalUrl: config.AUTH_INTERNAL_URL ?? String(upstreamUrls['auth-api']),
    corsOrigins: Object.freeze(
      config.CORS_ORIGINS.split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    ),
  })
}

/** server.ts: process.env, development secrets beside the data folder, one line per problem and exit 1. */
export function loadTenantGatewayConfigOrExit(): Config {
  return configOrExit('tenant-gateway', () =>
    loadTenantGatewayConfig(process.env, { devSecretsFile: devSecretsFileOf(process.env) }),
  )
}

/** What the operator commands (backfill, pepper status) need: the peppers and the database, no INTERNAL_SECRET. */
export type OperatorConfig = Readonly<
  Pick<Config, 'API_KEY_PEPPER' | 'API_KEY_PEPPER_PREVIOUS' | 'DATABASE_URL' | 'DATA_DIR' | 'NODE_ENV'>
>

export function loadOperatorConfig(env: Env, options: { devSecretsFile?: string } = {}): OperatorConfig {
  const config = parse(env, ['API_KEY_PEPPER'], options.devSecretsFile)
  return Object.freeze({
    API_KEY_PEPPER: config.API_KEY_PEPPER,
    API_KEY_PEPPER_PREVIOUS: config.API_KEY_PEPPER_PREVIOUS,
    DATABASE_URL: config.DATABASE_URL,
    DATA_DIR: config.DATA_DIR,
    NODE_ENV: config.NODE_ENV,
  })
}

export function loadOperatorConfigOrExit(): OperatorConfig {
  return configOrExit('tenant-gateway', () =>
    loadOperatorConfig(process.env, { devSecretsFile: devSecretsFileOf(process.env) }),
  )
}
