import { commonEnv, loadConfig } from '@gatehouse/service-kit'
import Type, { type Static } from 'typebox'

const url = (fallback: string) => Type.String({ default: fallback, pattern: '^https?://' })

export const configSchema = Type.Object({
  ...commonEnv,
  PORT: Type.Integer({ default: 8080, minimum: 1, maximum: 65535 }),
  AUTH_API_URL: url('http://127.0.0.1:3001'),
  QR_AUTH_URL: url('http://127.0.0.1:3002'),
  BOM_TRIGGERS_URL: url('http://127.0.0.1:3003'),
  METERING_URL: url('http://127.0.0.1:3004'),
  UPSTREAM_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100 }),
})

export type Config = Readonly<Static<typeof configSchema>>

export function loadTenantGatewayConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, env)
}
