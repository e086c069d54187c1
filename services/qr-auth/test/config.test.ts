import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '@gatehouse/service-kit'
import { describe, expect, it } from 'vitest'
import { loadQrAuthConfig } from '../src/config.ts'

const SECRET = 'a-secret-of-at-least-32-characters-000'

describe('qr-auth configuration', () => {
  it('defaults to the registry: its own port, auth-api on its port, 2-minute sessions, 5 s polls', () => {
    const config = loadQrAuthConfig({})
    expect(config).toMatchObject({
      PORT: 3002,
      AUTH_API_URL: 'http://127.0.0.1:3001',
      QR_SESSION_TTL_SECONDS: 120,
      QR_CODE_TTL_SECONDS: 30,
      QR_POLL_INTERVAL_SECONDS: 5,
    })
  })

  it('refuses to start in production without INTERNAL_SECRET and CRON_SECRET, one line each', () => {
    const load = () => loadQrAuthConfig({ NODE_ENV: 'production' })
    expect(load).toThrow(ConfigError)
    try {
      load()
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        'INTERNAL_SECRET: is required in production',
        'CRON_SECRET: is required in production',
      ])
    }
    expect(
      loadQrAuthConfig({ NODE_ENV: 'production', INTERNAL_SECRET: SECRET, CRON_SECRET: SECRET }).CRON_SECRET,
    ).toBe(SECRET)
  })

  it('generates the development secrets once into the secrets file and reuses them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qr-auth-config-'))
    try {
      const devSecretsFile = join(dir, 'secrets.json')
      const first = loadQrAuthConfig({}, { devSecretsFile })
      const second = loadQrAuthConfig({}, { devSecretsFile })
      expect(first.CRON_SECRET?.length).toBeGreaterThanOrEqual(32)
      expect(second.CRON_SECRET).toBe(first.CRON_SECRET)
      expect(JSON.parse(readFileSync(devSecretsFile, 'utf8'))).toMatchObject({
        CRON_SECRET: first.CRON_SECRET,
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('names each bad variable', () => {
    expect(() => loadQrAuthConfig({ AUTH_API_URL: 'auth-api:3001', QR_SESSION_TTL_SECONDS: '5' })).toThrow(
      /AUTH_API_URL: invalid value.*QR_SESSION_TTL_SECONDS: invalid value/,
    )
    expect(() => loadQrAuthConfig({ CRON_SECRET: 'short' })).toThrow(/CRON_SECRET: invalid value/)
  })
})
