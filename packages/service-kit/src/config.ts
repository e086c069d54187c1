import Type, { type Static, type TObject, type TProperties } from 'typebox'
import Value from 'typebox/value'

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

/** For server.ts: one readable line per problem on stderr, exit code 1, no stack trace. */
export function loadConfigOrExit<P extends TProperties>(
  service: string,
  schema: TObject<P>,
  env: Record<string, string | undefined> = process.env,
): Readonly<Static<TObject<P>>> {
  try {
    return loadConfig(schema, env)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    for (const problem of error.problems) process.stderr.write(`${service}: config error: ${problem}\n`)
    process.exit(1)
  }
}
