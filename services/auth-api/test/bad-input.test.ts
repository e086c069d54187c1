import type { TestDb } from '@gatehouse/db-kit/testing'
import { freePort } from '@gatehouse/service-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, register } from './factories.ts'
import { openTestDb, startTestApp, type TestApp } from './fixtures.ts'

let db: TestDb
let t: TestApp
let accessToken: string

beforeAll(async () => {
  db = await openTestDb()
  // A provider that is configured but down: input checks must come before anything reaches it.
  t = await startTestApp(db, {
    env: {
      OAUTH_PROVIDERS: 'corp',
      OAUTH_CORP_ISSUER: `http://127.0.0.1:${await freePort()}`,
      OAUTH_CORP_CLIENT_ID: 'x',
      OAUTH_CORP_CLIENT_SECRET: 'y',
    },
  })
  accessToken = (await register(t.app)).accessToken
})
afterAll(async () => {
  await t?.app.close()
  await db?.close()
})

const ROUTES: Array<[method: 'GET' | 'POST' | 'DELETE', url: string]> = [
  ['POST', '/api/auth/verify-email'],
  ['POST', '/api/auth/verify-email/resend'],
  ['POST', '/api/auth/email/change'],
  ['POST', '/api/auth/password-reset'],
  ['POST', '/api/auth/password-reset/confirm'],
  ['POST', '/api/auth/password/change'],
  ['GET', '/api/auth/2fa'],
  ['POST', '/api/auth/2fa/totp'],
  ['POST', '/api/auth/2fa/totp/confirm'],
  ['DELETE', '/api/auth/2fa/totp'],
  ['POST', '/api/auth/2fa/backup-codes'],
  ['POST', '/api/auth/2fa/verify'],
  ['GET', '/api/auth/oauth/providers'],
  ['GET', '/api/auth/oauth/corp/callback?code=abc&state=def'],
  ['GET', '/api/auth/oauth/corp/callback?error=access_denied'],
  ['GET', '/api/auth/oauth/corp/callback?state=%E0%A4%A'],
  ['GET', '/api/auth/oauth/Not_A-Provider'],
  ['GET', '/api/auth/oauth/corp?returnTo=%00'],
  ['POST', '/api/auth/oauth/corp/link'],
  ['GET', '/api/auth/identities'],
  ['DELETE', '/api/auth/identities/not-a-uuid'],
  ['DELETE', '/api/auth/identities/00000000-0000-0000-0000-000000000000'],
]

const BODIES: unknown[] = [
  undefined,
  null,
  [],
  'a string',
  12345,
  {},
  { token: { nested: true }, email: ['a@b.c'], code: 123456, mfaToken: null },
  { token: '\u0000'.repeat(50), password: 'x', newPassword: 'y', currentPassword: 'z' },
  {
    token: `${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}.${'A'.repeat(43)}`,
    password: 'long enough password',
  },
  { email: 'not-an-email', newEmail: '@', code: '12345678901234567890123456789012345' },
  { code: '000000', mfaToken: 'a.b', returnTo: 'javascript:alert(1)' },
  { code: 'zzzzz-zzzzz', password: 'p'.repeat(1025) },
]

const HEADERS: Array<Record<string, string>> = [
  {},
  { authorization: 'Bearer garbage' },
  { authorization: 'Basic abc' },
]

describe('new routes under bad input', () => {
  it('answer every malformed request with a 4xx problem (or 503 for the provider that is down), never a 500', async () => {
    const seen = new Set<number>()
    for (const [method, url] of ROUTES) {
      for (const headers of [...HEADERS, bearer(accessToken)]) {
        for (const body of method === 'GET' ? [undefined] : BODIES) {
          const response = await t.app.inject({
            method,
            url,
            headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
            ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
          })
          const what = `${method} ${url} ${JSON.stringify(body)} ${JSON.stringify(headers)}`
          seen.add(response.statusCode)
          expect([what, response.statusCode >= 500]).toEqual([what, response.statusCode === 503])
          if (response.statusCode >= 400) {
            expect([what, response.headers['content-type']]).toEqual([
              what,
              expect.stringContaining('problem+json'),
            ])
            expect(response.json().code).toMatch(/^AUTH_API_[A-Z_]+$/)
          }
          if (response.statusCode === 503)
            expect([what, response.json().code]).toEqual([what, 'AUTH_API_OAUTH_PROVIDER_UNAVAILABLE'])
        }
      }
    }
    // Some combinations are valid (the providers list, a resend): the loop reached the handlers, not only the schemas.
    expect([...seen].some((status) => status >= 200 && status < 300)).toBe(true)
  }, 120_000)

  it('answers malformed JSON and oversized bodies with 400 and 413 problems', async () => {
    const broken = await t.app.inject({
      method: 'POST',
      url: '/api/auth/password-reset',
      headers: { 'content-type': 'application/json' },
      payload: '{"email": ',
    })
    expect(broken.statusCode).toBe(400)
    expect(broken.json().code).toBe('AUTH_API_MALFORMED_JSON')
    const huge = await t.app.inject({
      method: 'POST',
      url: '/api/auth/verify-email',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ token: 'x'.repeat(20_000) }),
    })
    expect(huge.statusCode).toBe(413)
  })
})
