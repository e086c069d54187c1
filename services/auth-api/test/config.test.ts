import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, parseTrustedProxies } from '@gatehouse/service-kit'
import { describe, expect, it } from 'vitest'
import { loadAuthApiConfig } from '../src/config.ts'

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
    // Setup only: the production settings added since (2FA key, cookie secret, SMTP) are given here and tested below.
    const others = {
      TWO_FACTOR_ENCRYPTION_KEY: 't'.repeat(32),
      COOKIE_SECRET: 'k'.repeat(32),
      SMTP_URL: 'smtp://mail.example.com:587',
    }
    try {
      loadAuthApiConfig({ NODE_ENV: 'production', ...others })
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
      ...others,
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
    expect(
      parseTrustedProxies(loadAuthApiConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).TRUST_PROXY),
    ).toEqual(['10.0.0.0/8', '127.0.0.1'])
    expect(parseTrustedProxies(loadAuthApiConfig({ TRUST_PROXY: 'none' }).TRUST_PROXY)).toBe(false)
    expect(parseTrustedProxies(loadAuthApiConfig({}).TRUST_PROXY)).toEqual(['loopback'])
  })

  it('generates the missing secrets once into the development secrets file, never in production', () => {
    const dir = mkdtempSync(join(tmpdir(), 'auth-api-config-'))
    try {
      const devSecretsFile = join(dir, 'secrets.json')
      // Setup only: the secrets added since are given, so the file holds exactly what this test names.
      const given = { TWO_FACTOR_ENCRYPTION_KEY: 't'.repeat(32), COOKIE_SECRET: 'k'.repeat(32) }
      const first = loadAuthApiConfig({ CRON_SECRET: 'c'.repeat(16), ...given }, { devSecretsFile })
      expect(first.INTERNAL_SECRET).toHaveLength(43)
      expect(first.CRON_SECRET).toBe('c'.repeat(16))
      expect(Object.keys(JSON.parse(readFileSync(devSecretsFile, 'utf8')))).toEqual(['INTERNAL_SECRET'])
      const again = loadAuthApiConfig({}, { devSecretsFile })
      expect(again.INTERNAL_SECRET).toBe(first.INTERNAL_SECRET)
      expect(again.CRON_SECRET).toHaveLength(43)
      expect(() => loadAuthApiConfig({ NODE_ENV: 'production' }, { devSecretsFile })).toThrow(ConfigError)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
