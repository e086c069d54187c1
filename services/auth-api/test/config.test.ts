import { ConfigError } from '@gatehouse/service-kit'
import { describe, expect, it } from 'vitest'
import { loadAuthApiConfig, trustedProxies } from '../src/config.ts'

describe('auth-api config', () => {
  it('has safe defaults for development', () => {
    const config = loadAuthApiConfig({})
    expect(config).toMatchObject({
      PORT: 3001,
      ACCESS_TOKEN_TTL: 900,
      SESSION_TTL: 2_592_000,
      REFRESH_REUSE_GRACE: 10,
      COOKIE_SECURE: true,
      TRUST_PROXY: 'loopback',
    })
    expect(config.JWT_ACCESS_SECRET).toBeUndefined()
    expect(Object.isFrozen(config)).toBe(true)
  })

  it('requires INTERNAL_SECRET and CRON_SECRET in production, one line each', () => {
    try {
      loadAuthApiConfig({ NODE_ENV: 'production' })
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).problems).toEqual([
        'INTERNAL_SECRET: is required in production',
        'CRON_SECRET: is required in production',
      ])
    }
    const production = loadAuthApiConfig({
      NODE_ENV: 'production',
      INTERNAL_SECRET: 'i'.repeat(32),
      CRON_SECRET: 'c'.repeat(16),
    })
    expect(production.NODE_ENV).toBe('production')
  })

  it('refuses short secrets and bad values', () => {
    expect(() => loadAuthApiConfig({ INTERNAL_SECRET: 'short' })).toThrow(/INTERNAL_SECRET/)
    expect(() => loadAuthApiConfig({ JWT_ACCESS_SECRET: 'short' })).toThrow(/JWT_ACCESS_SECRET/)
    expect(() => loadAuthApiConfig({ COOKIE_SECURE: 'maybe' })).toThrow(/COOKIE_SECURE/)
    expect(() => loadAuthApiConfig({ REDIS_URL: 'http://x' })).toThrow(/REDIS_URL/)
    expect(loadAuthApiConfig({ COOKIE_SECURE: 'false' }).COOKIE_SECURE).toBe(false)
  })

  it('reads TRUST_PROXY as a list, or none', () => {
    expect(trustedProxies(loadAuthApiConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }))).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
    ])
    expect(trustedProxies(loadAuthApiConfig({ TRUST_PROXY: 'none' }))).toBe(false)
  })
})
