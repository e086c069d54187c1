import { dirname, join } from 'node:path'
import { dataRoot } from '@gatehouse/db-kit'
import Type, { type Static, type TObject, type TProperties } from 'typebox'
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

function describe(path: string, message: string, env: Record<string, unknown>): string {
  const name = path.replace(/^\//, '').split('/')[0] ?? ''
  const present = name !== '' && env[name] !== undefined
  return present ? `${name}: invalid value (${message})` : `${name || 'environment'}: ${message}`
}

/**
 * Parses and validates the environment once. Pure: tests hand it a plain object.
 * Unknown variables are ignored; each missing or invalid one becomes one line of ConfigError.problems.
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
  const converted = Value.Convert(schema, Value.Default(schema, input))
  const problems: string[] = []
  for (const error of Value.Errors(schema, converted)) {
    if (error.keyword === 'required') {
      const missing = (error.params as { requiredProperties?: string[] }).requiredProperties ?? []
      for (const name of missing) problems.push(`${name}: is required but not set`)
      continue
    }
    if (error.keyword === 'const') continue // the anyOf line below says it once
    problems.push(describe(error.instancePath, error.message, input))
  }
  if (problems.length > 0) throw new ConfigError([...new Set(problems)])
  return Object.freeze(converted) as Readonly<Static<TObject<P>>>
}

export interface SecretRules<K extends string, R extends K> {
  /** Required when NODE_ENV=production. */
  productionSecrets?: readonly K[]
  /** Required everywhere (the development secrets file supplies them outside production). */
  requiredSecrets?: readonly R[]
  /**
   * Outside production, secrets that are not set are generated once into this file and reused (server.ts and
   * operator scripts pass `devSecretsFileOf(process.env)`; tests leave it out).
   */
  devSecretsFile?: string
}

/**
 * A service's configuration: `loadConfig` plus the one rule about secrets. In production every listed secret must
 * be set; outside it, missing ones come from the development secrets file when one is given.
 */
export function loadServiceConfig<P extends TProperties, R extends keyof Static<TObject<P>> & string = never>(
  schema: TObject<P>,
  env: Env,
  rules: SecretRules<keyof Static<TObject<P>> & string, R> = {},
): Readonly<Static<TObject<P>> & { [K in R]-?: NonNullable<Static<TObject<P>>[K]> }> {
  const required = rules.requiredSecrets ?? []
  const secrets = [...new Set([...(rules.productionSecrets ?? []), ...required])]
  const production = env.NODE_ENV === 'production'
  const unset = secrets.filter((name) => !env[name])
  let input = env
  if (!production && rules.devSecretsFile && unset.length > 0) {
    const generated = loadDevSecrets(rules.devSecretsFile, unset)
    input = { ...env, ...Object.fromEntries(unset.map((name) => [name, generated[name]])) }
  }
  const config = loadConfig(schema, input) as Record<string, unknown>
  const missing = (production ? secrets : required).filter((name) => !config[name])
  if (missing.length > 0) {
    throw new ConfigError(
      missing.map((name) =>
        production
          ? `${name}: is required in production`
          : `${name}: is required (pnpm start generates one for development)`,
      ),
    )
  }
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
  try {
    return load()
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    for (const problem of error.problems) process.stderr.write(`${service}: config error: ${problem}\n`)
    process.exit(1)
  }
}
