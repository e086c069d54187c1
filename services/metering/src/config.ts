import { configOrExit, devSecretsFileOf, loadServiceConfig, serviceEnv } from '@gatehouse/service-kit'
import Type from 'typebox'

export const configSchema = Type.Object({
  ...serviceEnv('metering'),
  /** Month partitions kept created ahead of the current one (besides on-demand creation). */
  PARTITION_MONTHS_AHEAD: Type.Integer({ default: 2, minimum: 1, maximum: 24 }),
  /** CSV exports streamed at once by one process; each holds a database connection while it runs. */
  EXPORT_CONCURRENCY: Type.Integer({ default: 2, minimum: 1, maximum: 16 }),
})

/** The secrets this service refuses to start without in production. */
const PRODUCTION_SECRETS = ['INTERNAL_SECRET'] as const

/** Pure: tests hand it a plain object. */
export function loadMeteringConfig(
  env: Record<string, string | undefined> = process.env,
  options: { devSecretsFile?: string } = {},
) {
  return loadServiceConfig(configSchema, env, { productionSecrets: PRODUCTION_SECRETS, ...options })
}

export type Config = ReturnType<typeof loadMeteringConfig>

/** server.ts: process.env, development secrets generated once into .data/secrets.json, exit 1 on a bad variable. */
export function loadMeteringConfigOrExit(): Config {
  return configOrExit('metering', () =>
    loadMeteringConfig(process.env, { devSecretsFile: devSecretsFileOf(process.env) }),
  )
}
