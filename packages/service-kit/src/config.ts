import { dirname, join } from 'node:path'
import { dataRoot } from '@gatehouse/db-kit'
import Type, { type Static, type TObject, type TProperties, type TSchema } from 'typebox'
import Value from 'typebox/value'
import { loadDevSecrets } from './dev-secrets.ts'
import { platformEnv } from './platform-settings.ts'
import { type ServiceName, serviceNamed } from './registry.ts'

type Env = Record<string, string | undefined>

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`)
    this.name = 'ConfigError'
  }
}

/** Settings every service reads; a service's own schema spreads these in. */
export const commonEnv = {
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], {
    default: 'development',
  }),
  HOST: Type.String({ default: '127.0.0.1' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' },
  ),
  LOG_PRETTY: Type.Boolean({ default: false }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATA_DIR: Type.Optional(Type.String({ minLength: 1 })),
  MIGRATE_ON_BOOT: Type.Boolean({ default: false }),
}

/** A secret setting: at least 32 characters (they key HMACs). */
export const secretEnv = (minLength = 32) => Type.Optional(Type.String({ minLength }))

/**
 * What every service reads: the common settings, PORT defaulting to the service's registry port, and
 * INTERNAL_SECRET (the gateway's signed caller context and service tokens), which `loadServiceConfig` requires in
 * production.
 */
export function serviceEnv(name: ServiceName) {
  return {
    ...commonEnv,
    PORT: Type.Integer({ default: serviceNamed(name).port, minimum: 1, maximum: 65535 }),
    INTERNAL_SECRET: secretEnv(),
    ...platformEnv,
  }
}

/** The closed set of values a setting takes (a union of literals, a boolean), to name in its problem line. */
function allowedValues(schema: TSchema): string | undefined {
  const options = (schema as { anyOf?: Array<{ const?: unknown }> }).anyOf
  if (Array.isArray(options) && options.every((option) => option.const !== undefined)) {
    return options.map((option) => String(option.const)).join(', ')
  }
  if ((schema as { type?: unknown }).type === 'boolean') return 'true, false'
  return undefined
}

/** One line for a variable its schema refuses; values are never echoed (a secret may be among them). */
function problemOf(name: string, schema: TSchema, value: unknown): string | undefined {
  const errors = Value.Errors(schema, value)
  if (errors.length === 0) return undefined
  const allowed = allowedValues(schema)
  if (allowed) return `${name}: invalid value (allowed: ${allowed})`
  const reason = errors.find((error) => error.keyword !== 'const' && error.keyword !== 'anyOf') ?? errors[0]
  return `${name}: invalid value (${reason?.message ?? 'not accepted'})`
}

/**
 * Parses and validates the environment once. Pure: tests hand it a plain object.
 * Unknown variables are ignored; every missing or invalid one becomes one line of ConfigError.problems (each
 * variable is checked on its own, so one bad value never hides the next), with the allowed values of closed sets.
 */
export function loadConfig<P extends TProperties>(
  schema: TObject<P>,
  env: Record<string, string | undefined> = process.env,
): Readonly<Static<TObject<P>>> {
  const input: Record<string, unknown> = {}
  for (const key of Object.keys(schema.properties)) {
    const value = env[key]
    if (value !== undefined && value !== '') input[key] = value
  }
  const converted = Value.Convert(schema, Value.Default(schema, input)) as Record<string, unknown>
  const required = new Set<string>((schema.required as readonly string[] | undefined) ?? [])
  const problems: string[] = []
  for (const [name, property] of Object.entries(schema.properties) as Array<[string, TSchema]>) {
    if (converted[name] === undefined) {
      if (required.has(name)) problems.push(`${name}: is required but not set`)
      continue
    }
    const problem = problemOf(name, property, converted[name])
    if (problem) problems.push(problem)
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return Object.freeze(converted) as Readonly<Static<TObject<P>>>
}

export interface SecretRules<K extends string, R extends K> {
  /** Required when NODE_ENV=production (INTERNAL_SECRET always is, when the schema has it). */
  productionSecrets?: readonly K[]
  /** Required everywhere (the development secrets file supplies them outside production). */
  requiredSecrets?: readonly R[]
  /**
   * Outside production, secrets that are not set are generated once into this file and reused (server.ts and
   * operator scripts pass `devSecretsFileOf(process.env)`; tests leave it out).
   */
  devSecretsFile?: string
  /** Operator commands reach the database only: INTERNAL_SECRET is not theirs to require. */
  withoutInternalSecret?: boolean
}

/**
 * A service's configuration: `loadConfig` plus the one rule about secrets. In production every listed secret must
 * be set, and INTERNAL_SECRET in every service (upstreams must not trust a context they cannot verify); outside
 * it, missing ones come from the development secrets file when one is given. Schema problems and missing secrets
 * are reported together.
 */
export function loadServiceConfig<P extends TProperties, R extends keyof Static<TObject<P>> & string = never>(
  schema: TObject<P>,
  env: Env,
  rules: SecretRules<keyof Static<TObject<P>> & string, R> = {},
): Readonly<Static<TObject<P>> & { [K in R]-?: NonNullable<Static<TObject<P>>[K]> }> {
  const required = rules.requiredSecrets ?? []
  const internal =
    !rules.withoutInternalSecret && 'INTERNAL_SECRET' in schema.properties ? ['INTERNAL_SECRET'] : []
  const secrets = [...new Set([...(rules.productionSecrets ?? []), ...required, ...internal])]
  const production = env.NODE_ENV === 'production'
  const unset = secrets.filter((name) => !env[name])
  let input = env
  if (!production && rules.devSecretsFile && unset.length > 0) {
    const generated = loadDevSecrets(rules.devSecretsFile, unset)
    input = { ...env, ...Object.fromEntries(unset.map((name) => [name, generated[name]])) }
  }
  let config: Record<string, unknown> | undefined
  let problems: string[] = []
  try {
    config = loadConfig(schema, input) as Record<string, unknown>
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    problems = error.problems
  }
  const missing = (production ? secrets : required).filter((name) => !(config ?? input)[name])
  problems.push(
    ...missing.map((name) =>
      production
        ? `${name}: is required in production`
        : `${name}: is required (pnpm start generates one for development)`,
    ),
  )
  if (problems.length > 0 || !config) throw new ConfigError(problems)
  return config as Readonly<Static<TObject<P>> & { [K in R]-?: NonNullable<Static<TObject<P>>[K]> }>
}

/** `.data/secrets.json` beside the service's data folder: the file `pnpm start` writes too. */
export function devSecretsFileOf(env: Env): string {
  return env.DATA_DIR ? join(dirname(env.DATA_DIR), 'secrets.json') : join(dataRoot(env), 'secrets.json')
}

/**
 * The one exit path for server.ts and operator scripts: one readable line per problem on stderr, exit code 1,
 * no stack trace.
 */
export function configOrExit<T>(service: string, load: () => T): T {
  let problems: string[] = []
  let config: T | undefined
  try {
    config = load()
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    problems = error.problems
  }
  problems.push(...deploymentProblems(process.env))
  if (problems.length === 0) return config as T
  exitWithProblems(service, problems)
}

/**
 * What production needs beyond a service's own schema: a PostgreSQL database. Without DATABASE_URL a service, or
 * an operator command, would silently run on an embedded PGlite inside its container.
 */
export function deploymentProblems(env: Env): string[] {
  if (env.NODE_ENV !== 'production' || env.DATABASE_URL) return []
  return ['DATABASE_URL: is required in production (the embedded PGlite under .data/ is for development)']
}

/** One readable line per problem on stderr, exit code 1, no stack trace. */
export function exitWithProblems(service: string, problems: readonly string[]): never {
  for (const problem of problems) process.stderr.write(`${service}: config error: ${problem}\n`)
  process.exit(1)
}
