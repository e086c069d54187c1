import { commonEnv, loadConfig } from '@gatehouse/service-kit'
import Type, { type Static } from 'typebox'

export const configSchema = Type.Object({
  ...commonEnv,
  // Verifies the gateway's signed caller context (x-gatehouse-context).
  INTERNAL_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  PORT: Type.Integer({ default: 3002, minimum: 1, maximum: 65535 }),
})

export type Config = Readonly<Static<typeof configSchema>>

export function loadQrAuthConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, env)
}
