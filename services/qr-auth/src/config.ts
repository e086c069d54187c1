import {
  configOrExit,
  devSecretsFileOf,
  loadServiceConfig,
  secretEnv,
  serviceEnv,
  serviceNamed,
} from '@gatehouse/service-kit'
import Type from 'typebox'

const seconds = (fallback: number, minimum: number, maximum: number) =>
  Type.Integer({ default: fallback, minimum, maximum })

export const configSchema = Type.Object({
  // INTERNAL_SECRET verifies the gateway's caller context and signs the service token for auth-api.
  ...serviceEnv('qr-auth'),
  /** `Authorization: Bearer $CRON_SECRET` on /api/admin/cleanup-qr-sessions. Required in production. */
  CRON_SECRET: secretEnv(),
  /** auth-api, for POST /internal/sessions (pnpm start and compose set it). */
  AUTH_API_URL: Type.String({
    default: `http://127.0.0.1:${serviceNamed('auth-api').port}`,
    pattern: '^https?://[^/]+/?$',
  }),
  AUTH_API_TIMEOUT_MS: Type.Integer({ default: 5000, minimum: 100, maximum: 60_000 }),
  /** Comma-separated addresses/CIDRs (or `loopback`) whose X-Forwarded-For is believed; `none` trusts nobody. */
  TRUST_PROXY: Type.String({ default: 'loopback' }),
  /** The phone's approve page; the QR encodes it with `?sid=<session id>&code=<one-time code>`. */
  QR_APPROVE_URL: Type.String({
    default: `http://127.0.0.1:${serviceNamed('tenant-gateway').port}/qr/approve`,
    pattern: '^https?://[^?#]+$',
  }),
  QR_SESSION_TTL_SECONDS: seconds(120, 30, 900),
  /** How long one code of the QR can be scanned; the desktop refreshes it before then. */
  QR_CODE_TTL_SECONDS: seconds(30, 5, 60),
  /** RFC 8628's interval: the desktop polls no faster than this. */
  QR_POLL_INTERVAL_SECONDS: seconds(5, 1, 60),
  /** A comment line on every open event stream this often, so no proxy on the way times it out. */
  QR_EVENTS_HEARTBEAT_SECONDS: seconds(5, 1, 60),
  /** How often open event streams re-read their sessions, for changes made by other replicas and expiry. */
  QR_EVENTS_WATCH_MS: Type.Integer({ default: 1000, minimum: 10, maximum: 60_000 }),
})

/** The secrets this service refuses to start without in production. */
const PRODUCTION_SECRETS = ['INTERNAL_SECRET', 'CRON_SECRET'] as const

/** Pure: tests hand it a plain object. */
export function loadQrAuthConfig(
  env: Record<string, string | undefined> = process.env,
  options: { devSecretsFile?: string } = {},
) {
  return loadServiceConfig(configSchema, env, { productionSecrets: PRODUCTION_SECRETS, ...options })
}

export type Config = ReturnType<typeof loadQrAuthConfig>

/** server.ts: process.env, development secrets generated once into .data/secrets.json, exit 1 on a bad variable. */
export function loadQrAuthConfigOrExit(): Config {
  return configOrExit('qr-auth', () =>
    loadQrAuthConfig(process.env, { devSecretsFile: devSecretsFileOf(process.env) }),
  )
}
