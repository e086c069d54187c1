import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '@gatehouse/service-kit'
import { describe, expect, it } from 'vitest'
import { loadAuthApiConfig } from '../src/config.ts'
import { allowedReturnUrl } from '../src/oauth/return-urls.ts'

const problemsOf = (env: Record<string, string>) => {
  try {
    loadAuthApiConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  return []
}

const PRODUCTION = {
  NODE_ENV: 'production',
  INTERNAL_SECRET: 'i'.repeat(32),
  CRON_SECRET: 'c'.repeat(16),
  TWO_FACTOR_ENCRYPTION_KEY: 't'.repeat(32),
  COOKIE_SECRET: 'k'.repeat(32),
  SMTP_URL: 'smtps://user:pass@mail.example.com:465',
}

describe('issue 12 settings', () => {
  it('has documented defaults: unverified accounts may sign in, mail to .data/mail, links to the gateway', () => {
    const config = loadAuthApiConfig({ DATA_DIR: '/srv/gatehouse/.data/auth-api' })
    expect(config).toMatchObject({
      REQUIRE_EMAIL_VERIFICATION: false,
      EMAIL_VERIFICATION_TTL: 86_400,
      PASSWORD_RESET_TTL: 1800,
      MFA_CHALLENGE_TTL: 300,
      TWO_FACTOR_LOCKOUT_THRESHOLD: 5,
      TWO_FACTOR_ISSUER: 'Gatehouse',
      APP_URL: 'http://127.0.0.1:8080',
      PUBLIC_URL: 'http://127.0.0.1:8080',
      OAUTH_STATE_TTL: 600,
      mailDir: '/srv/gatehouse/.data/mail',
      oauthProviders: [],
      oauthReturnUrls: ['http://127.0.0.1:8080'],
    })
  })

  it('requires the 2FA key, the cookie secret and SMTP in production, one line each', () => {
    expect(problemsOf(PRODUCTION)).toEqual([])
    const { TWO_FACTOR_ENCRYPTION_KEY: _k, COOKIE_SECRET: _c, SMTP_URL: _s, ...without } = PRODUCTION
    expect(problemsOf(without)).toEqual([
      'TWO_FACTOR_ENCRYPTION_KEY: is required in production',
      'COOKIE_SECRET: is required in production',
    ])
    expect(
      problemsOf({ ...without, TWO_FACTOR_ENCRYPTION_KEY: 't'.repeat(32), COOKIE_SECRET: 'k'.repeat(32) }),
    ).toEqual(['SMTP_URL: is required in production'])
    expect(problemsOf({ ...PRODUCTION, TWO_FACTOR_ENCRYPTION_KEY: 'short' })).toEqual([
      expect.stringContaining('TWO_FACTOR_ENCRYPTION_KEY: invalid value'),
    ])
  })

  it('generates the 2FA key and the cookie secret once for development', () => {
    const dir = mkdtempSync(join(tmpdir(), 'auth-api-settings-'))
    try {
      const devSecretsFile = join(dir, 'secrets.json')
      const first = loadAuthApiConfig({}, { devSecretsFile })
      expect(first.TWO_FACTOR_ENCRYPTION_KEY).toHaveLength(43)
      expect(first.COOKIE_SECRET).toHaveLength(43)
      const stored = JSON.parse(readFileSync(devSecretsFile, 'utf8'))
      expect(stored.TWO_FACTOR_ENCRYPTION_KEY).toBe(first.TWO_FACTOR_ENCRYPTION_KEY)
      expect(loadAuthApiConfig({}, { devSecretsFile }).TWO_FACTOR_ENCRYPTION_KEY).toBe(
        first.TWO_FACTOR_ENCRYPTION_KEY,
      )
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('reads providers from OAUTH_PROVIDERS and OAUTH_<NAME>_*, naming each missing or bad variable', () => {
    const config = loadAuthApiConfig({
      OAUTH_PROVIDERS: 'google, github',
      OAUTH_GOOGLE_ISSUER: 'https://accounts.google.com',
      OAUTH_GOOGLE_CLIENT_ID: 'google-id',
      OAUTH_GOOGLE_CLIENT_SECRET: 'google-secret',
      OAUTH_GOOGLE_LABEL: 'Google',
      OAUTH_GITHUB_CLIENT_ID: 'gh-id',
      OAUTH_GITHUB_CLIENT_SECRET: 'gh-secret',
      COOKIE_SECRET: 'k'.repeat(32),
      PUBLIC_URL: 'https://auth.example.com',
      OAUTH_RETURN_URLS: 'https://app.example.com/, https://admin.example.com/console',
    })
    expect(config.oauthProviders).toEqual([
      {
        name: 'google',
        kind: 'oidc',
        label: 'Google',
        clientId: 'google-id',
        clientSecret: 'google-secret',
        scopes: ['openid', 'email', 'profile'],
        issuer: 'https://accounts.google.com',
        redirectUri: 'https://auth.example.com/api/auth/oauth/google/callback',
      },
      {
        name: 'github',
        kind: 'github',
        label: 'GitHub',
        clientId: 'gh-id',
        clientSecret: 'gh-secret',
        scopes: ['read:user', 'user:email'],
        githubBaseUrl: 'https://github.com',
        githubApiUrl: 'https://api.github.com',
        redirectUri: 'https://auth.example.com/api/auth/oauth/github/callback',
      },
    ])
    expect(config.oauthReturnUrls).toEqual(['https://app.example.com/', 'https://admin.example.com/console'])

    expect(
      problemsOf({
        OAUTH_PROVIDERS: 'corp,Bad_Name,okta',
        OAUTH_CORP_ISSUER: 'http://sso.example.com',
        OAUTH_CORP_CLIENT_ID: 'x',
        OAUTH_OKTA_CLIENT_SECRET: 'y',
        OAUTH_RETURN_URLS: 'ftp://files.example.com',
      }),
    ).toEqual(['OAUTH_PROVIDERS: invalid value (must match pattern "^[a-z0-9,\\s-]*$")'])
    expect(
      problemsOf({
        OAUTH_PROVIDERS: 'corp,okta',
        OAUTH_CORP_ISSUER: 'http://sso.example.com',
        OAUTH_CORP_CLIENT_ID: 'x',
        OAUTH_OKTA_CLIENT_SECRET: 'y',
        OAUTH_RETURN_URLS: 'ftp://files.example.com',
      }),
    ).toEqual([
      'OAUTH_CORP_CLIENT_SECRET: is required but not set',
      'OAUTH_CORP_ISSUER: invalid value (https, or http on a loopback address only)',
      'OAUTH_OKTA_CLIENT_ID: is required but not set',
      'OAUTH_OKTA_ISSUER: is required but not set',
      'OAUTH_RETURN_URLS: invalid value (ftp://files.example.com is not an http(s) URL)',
    ])
  })

  it('allows return URLs only on a listed origin and under its path', () => {
    const list = ['https://app.example.com/app', 'http://127.0.0.1:5173']
    expect(allowedReturnUrl('https://app.example.com/app/settings?tab=1', list)).toBe(
      'https://app.example.com/app/settings?tab=1',
    )
    expect(allowedReturnUrl('https://app.example.com/app', list)).toBe('https://app.example.com/app')
    expect(allowedReturnUrl('http://127.0.0.1:5173/anything', list)).toBe('http://127.0.0.1:5173/anything')
    for (const refused of [
      'https://app.example.com/application',
      'https://app.example.com/app/../admin',
      'https://app.example.com.evil.com/app',
      'http://app.example.com/app',
      'https://evil.com/?https://app.example.com/app',
      'https://user@app.example.com/app',
      '/app/relative',
      'http://127.0.0.1:5174/',
    ]) {
      expect([refused, allowedReturnUrl(refused, list)]).toEqual([refused, undefined])
    }
  })
})
