import {
  configOrExit,
  devSecretsFileOf,
  loadServiceConfig,
  secretEnv,
  serviceEnv,
} from '@gatehouse/service-kit'
import Type from 'typebox'
import { DURATION_LIST_PATTERN } from './webhooks/index.ts'

export const configSchema = Type.Object({
  ...serviceEnv('bom-triggers'),
  /** `Authorization: Bearer $CRON_SECRET` on POST /api/admin/cleanup-trigger-logs. */
  CRON_SECRET: secretEnv(),
  /** Derives each NOTIFY trigger's Standard Webhooks signing secret (HMAC), so none is stored. */
  WEBHOOK_SECRET_KEY: secretEnv(),
  /** Deliver webhooks to loopback, link-local and private addresses too (local receivers, tests). */
  WEBHOOK_ALLOW_PRIVATE_URLS: Type.Boolean({ default: false }),
  WEBHOOK_TIMEOUT_MS: Type.Integer({ default: 15_000, minimum: 100, maximum: 60_000 }),
  /** Delay before each attempt (the first is normally 0): Svix's schedule by default. */
  WEBHOOK_RETRY_SCHEDULE: Type.String({
    default: '0s,5s,5m,30m,2h,5h,10h,10h',
    pattern: DURATION_LIST_PATTERN,
  }),
  /** The background delivery worker; tests turn it off and drive deliveries themselves. */
  WEBHOOK_DELIVERY: Type.Boolean({ default: true }),
  WEBHOOK_POLL_INTERVAL_MS: Type.Integer({ default: 1_000, minimum: 50, maximum: 60_000 }),
  /** How many trigger levels one operation may cascade through (Jira stops rule chains after 10). */
  TRIGGER_MAX_DEPTH: Type.Integer({ default: 10, minimum: 1, maximum: 50 }),
  TRIGGERS_PER_TENANT_MAX: Type.Integer({ default: 200, minimum: 1, maximum: 10_000 }),
})

/** The secrets this service refuses to start without in production. */
const PRODUCTION_SECRETS = ['INTERNAL_SECRET', 'CRON_SECRET', 'WEBHOOK_SECRET_KEY'] as const

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
