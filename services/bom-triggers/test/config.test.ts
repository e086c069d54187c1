import { ConfigError } from '@gatehouse/service-kit'
import { describe, expect, it } from 'vitest'
import { loadBomTriggersConfig } from '../src/config.ts'

describe('bom-triggers configuration', () => {
  it('refuses to start in production without its secrets, naming each', () => {
    expect(() => loadBomTriggersConfig({ NODE_ENV: 'production' })).toThrow(ConfigError)
    try {
      loadBomTriggersConfig({ NODE_ENV: 'production' })
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        'INTERNAL_SECRET: is required in production',
        'CRON_SECRET: is required in production',
        'WEBHOOK_SECRET_KEY: is required in production',
      ])
    }
  })

  it('defaults to the Svix schedule, a 15 s timeout and no private webhook addresses', () => {
    const config = loadBomTriggersConfig({})
    expect(config).toMatchObject({
      WEBHOOK_RETRY_SCHEDULE: '0s,5s,5m,30m,2h,5h,10h,10h',
      WEBHOOK_TIMEOUT_MS: 15_000,
      WEBHOOK_ALLOW_PRIVATE_URLS: false,
      WEBHOOK_DELIVERY: true,
      TRIGGER_MAX_DEPTH: 10,
      PORT: 3003,
    })
  })

  it('refuses a malformed retry schedule or depth', () => {
    expect(() => loadBomTriggersConfig({ WEBHOOK_RETRY_SCHEDULE: '5 minutes' })).toThrow(
      /WEBHOOK_RETRY_SCHEDULE/,
    )
    expect(() => loadBomTriggersConfig({ TRIGGER_MAX_DEPTH: '0' })).toThrow(/TRIGGER_MAX_DEPTH/)
  })
})
