import { configOrExit, devSecretsFileOf, loadServiceConfig, serviceEnv } from '@gatehouse/service-kit'
import Type from 'typebox'

export const configSchema = Type.Object({
  ...serviceEnv('bom-triggers'),
})

/** The secrets this service refuses to start without in production. */
const PRODUCTION_SECRETS = ['INTERNAL_SECRET'] as const

/** Pure: tests hand it a plain object. */
export function loadBomTriggersConfig(
  env: Record<string, string | undefined> = process.env,
  options: { devSecretsFile?: string } = {},
) {
  return loadServiceConfig(configSchema, env, { productionSecrets: PRODUCTION_SECRETS, ...options })
}

export type Config = ReturnType<typeof loadBomTriggersConfig>

/** server.ts: process.env, development secrets generated once into .data/secrets.json, exit 1 on a bad variable. */
export function loadBomTriggersConfigOrExit(): Config {
  return configOrExit('bom-triggers', () =>
    loadBomTriggersConfig(process.env, { devSecretsFile: devSecretsFileOf(process.env) }),
  )
}
