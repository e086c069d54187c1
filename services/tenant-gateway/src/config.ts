import { dirname, join } from 'node:path'
import { ConfigError, commonEnv, defaultDataDir, loadConfig, loadDevSecrets } from '@gatehouse/service-kit'
import Type, { type Static } from 'typebox'

const url = (fallback: string) => Type.String({ default: fallback, pattern: '^https?://' })
const secret = () => Type.Optional(Type.String({ minLength: 32 }))

export const configSchema = Type.Object({
  ...commonEnv,
  PORT: Type.Integer({ default: 8080, minimum: 1, maximum: 65535 }),
  AUTH_API_URL: url('http://127.0.0.1:3001'),
  QR_AUTH_URL: url('http://127.0.0.1:3002'),
  BOM_TRIGGERS_URL: url('http://127.0.0.1:3003'),
  METERING_URL: url('http://127.0.0.1:3004'),
  UPSTREAM_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100 }),
  /** Comma-separated addresses/CIDRs of load balancers in front of the gateway; empty = use the socket address. */
  TRUST_PROXY: Type.Optional(Type.String()),

  /** HMAC pepper for API key hashes; required in production. */
  API_KEY_PEPPER: secret(),
  /** The pepper being rotated out: keys hashed under it still verify and are re-hashed on use. */
  API_KEY_PEPPER_PREVIOUS: secret(),
  /** Signs the x-gatehouse-context token upstreams verify; required in production. */
  INTERNAL_SECRET: secret(),
  /** Accept migrated legacy keys (not in the gh_ format). Turn off once they have all been rotated. */
  LEGACY_API_KEYS: Type.Boolean({ default: true }),
  /** How long a verified key stays cached: the upper bound for revocation to reach every replica. */
  KEY_CACHE_TTL_MS: Type.Integer({ default: 5_000, minimum: 0, maximum: 60_000 }),
  /** How long a rotated-out key keeps working, e.g. 24h, 30m, 0. */
  KEY_ROTATION_OVERLAP: Type.String({ default: '24h', pattern: '^[0-9]+(ms|s|m|h|d)$' }),

  /** User access JWTs from auth-api. */
  AUTH_JWKS_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  AUTH_JWT_ISSUER: Type.String({ default: 'gatehouse-auth-api' }),
  AUTH_JWT_AUDIENCE: Type.String({ default: 'gatehouse' }),
  /** The seeds' HS256 access-token secret, accepted besides the JWKS when set. */
  JWT_ACCESS_SECRET: secret(),

  /** Rate-limit counters and cache invalidation shared across replicas; in memory and per replica without it. */
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  /** When Redis is unreachable: true lets requests through (logged), false answers 503. */
  RATE_LIMIT_FAIL_OPEN: Type.Boolean({ default: true }),
  /** Per client IP, for POSTs on public routes (login, register, refresh, QR create). */
  AUTH_RATE_LIMIT_MAX: Type.Integer({ default: 30, minimum: 1 }),
  /** Per client IP, for every other request on public routes and for /api/keys/verify. */
  PUBLIC_RATE_LIMIT_MAX: Type.Integer({ default: 600, minimum: 1 }),
  PUBLIC_RATE_LIMIT_WINDOW_MS: Type.Integer({ default: 60_000, minimum: 1_000 }),

  /**
   * Record every identity-carrying internal token in verification_tokens. `auto`: on with PostgreSQL, off on the
   * embedded PGlite, where each batch insert would run on the gateway's own event loop (tens of ms per 500 rows).
   */
  AUDIT_INTERNAL_TOKENS: Type.Union([Type.Literal('auto'), Type.Literal('true'), Type.Literal('false')], {
    default: 'auto',
  }),
})

type Parsed = Static<typeof configSchema>

export type Config = Readonly<
  Omit<Parsed, 'API_KEY_PEPPER' | 'INTERNAL_SECRET'> & {
    API_KEY_PEPPER: string
    INTERNAL_SECRET: string
    keyRotationOverlapMs: number
    jwksUrl: string
  }
>

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

export function durationMs(text: string): number {
  const match = /^([0-9]+)(ms|s|m|h|d)$/.exec(text)
  if (!match) throw new RangeError(`invalid duration: ${text}`)
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]
}

type Secret = 'API_KEY_PEPPER' | 'INTERNAL_SECRET'

/**
 * Pure: tests hand it an object. Secrets are mandatory in production; elsewhere a missing one is taken from
 * `devSecretsFile` (generated once) when given, which only server.ts and the scripts do.
 */
export function loadTenantGatewayConfig(
  env: Record<string, string | undefined> = process.env,
  options: { devSecretsFile?: string } = {},
): Config {
  const { parsed, secrets } = parseWithSecrets(env, options.devSecretsFile, [
    'API_KEY_PEPPER',
    'INTERNAL_SECRET',
  ])
  return Object.freeze({
    ...parsed,
    API_KEY_PEPPER: secrets.API_KEY_PEPPER,
    INTERNAL_SECRET: secrets.INTERNAL_SECRET,
    keyRotationOverlapMs: durationMs(parsed.KEY_ROTATION_OVERLAP),
    jwksUrl: parsed.AUTH_JWKS_URL ?? new URL('/.well-known/jwks.json', parsed.AUTH_API_URL).toString(),
  })
}

function parseWithSecrets(
  env: Record<string, string | undefined>,
  devSecretsFile: string | undefined,
  required: Secret[],
): { parsed: Parsed; secrets: Record<Secret, string> } {
  const parsed = loadConfig(configSchema, env)
  const secrets: Partial<Record<Secret, string>> = {
    API_KEY_PEPPER: parsed.API_KEY_PEPPER,
    INTERNAL_SECRET: parsed.INTERNAL_SECRET,
  }
  const missing = required.filter((name) => !secrets[name])
  if (missing.length > 0 && parsed.NODE_ENV !== 'production' && devSecretsFile) {
    Object.assign(secrets, loadDevSecrets(devSecretsFile, missing))
  }
  const problems: string[] = []
  for (const name of required) {
    if (!secrets[name]) {
      problems.push(
        parsed.NODE_ENV === 'production'
          ? `${name}: is required in production`
          : `${name}: is required (pnpm start generates one for development)`,
      )
    }
  }
  if (parsed.API_KEY_PEPPER_PREVIOUS && parsed.API_KEY_PEPPER_PREVIOUS === secrets.API_KEY_PEPPER) {
    problems.push('API_KEY_PEPPER_PREVIOUS: must differ from API_KEY_PEPPER')
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return {
    parsed,
    secrets: { API_KEY_PEPPER: secrets.API_KEY_PEPPER ?? '', INTERNAL_SECRET: secrets.INTERNAL_SECRET ?? '' },
  }
}

function orExit<T>(load: (env: Record<string, string | undefined>, devSecretsFile: string) => T): T {
  const dataDir = process.env.DATA_DIR || defaultDataDir('tenant-gateway')
  try {
    return load(process.env, join(dirname(dataDir), 'secrets.json'))
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    for (const problem of error.problems) process.stderr.write(`tenant-gateway: config error: ${problem}\n`)
    process.exit(1)
  }
}

/** server.ts: process.env, development secrets beside the data folder, one line per problem and exit 1. */
export function loadTenantGatewayConfigOrExit(): Config {
  return orExit((env, devSecretsFile) => loadTenantGatewayConfig(env, { devSecretsFile }))
}

/** What the operator commands (backfill, pepper status) need: the peppers and the database, no INTERNAL_SECRET. */
export type OperatorConfig = Readonly<
  Pick<Config, 'API_KEY_PEPPER' | 'API_KEY_PEPPER_PREVIOUS' | 'DATABASE_URL' | 'DATA_DIR'>
>

export function loadOperatorConfigOrExit(): OperatorConfig {
  return orExit((env, devSecretsFile) => {
    const { parsed, secrets } = parseWithSecrets(env, devSecretsFile, ['API_KEY_PEPPER'])
    return Object.freeze({
      API_KEY_PEPPER: secrets.API_KEY_PEPPER,
      API_KEY_PEPPER_PREVIOUS: parsed.API_KEY_PEPPER_PREVIOUS,
      DATABASE_URL: parsed.DATABASE_URL,
      DATA_DIR: parsed.DATA_DIR,
    })
  })
}
