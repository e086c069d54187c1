import type { TestDb } from '@gatehouse/db-kit/testing'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditLogs, users } from '../src/db/schema/index.ts'
import { PASSWORD, register, uniqueEmail } from './factories.ts'
import { closeTestApp, openTestApp, startTestApp, type TestApp } from './fixtures.ts'

let db: TestDb
let t: TestApp

beforeAll(async () => {
  ;({ db, t } = await openTestApp())
})
afterAll(() => closeTestApp(t, db))

function post(payload: unknown, headers: Record<string, string> = {}) {
  return t.app.inject({ method: 'POST', url: '/api/auth/register', payload: payload as object, headers })
}

describe('POST /api/auth/register', () => {
  it('creates the user with a lower-case email, a session, an audit entry and a hardened refresh cookie', async () => {
    const email = uniqueEmail('Mixed.Case').toUpperCase()
    const response = await post({
      email,
      name: '  Grace Hopper ',
      password: PASSWORD,
      confirmPassword: PASSWORD,
    })
    expect(response.statusCode).toBe(201)
    const body = response.json()
    expect(body.user).toMatchObject({ email: email.toLowerCase(), name: 'Grace Hopper' })
    expect(body.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(response.headers['cache-control']).toBe('no-store')

    const cookie = String(response.headers['set-cookie'])
    expect(cookie).toContain(`refresh_token=${body.refreshToken}`)
    expect(cookie).toMatch(/HttpOnly/)
    expect(cookie).toMatch(/Secure/)
    expect(cookie).toMatch(/SameSite=Strict/)
    expect(cookie).toMatch(/Path=\/api\/auth/)
    expect(cookie).toMatch(/Max-Age=2592000/)

    const [stored] = await db.db.select().from(users).where(eq(users.id, body.user.id))
    expect(stored?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    const events = await db.db.select().from(auditLogs).where(eq(auditLogs.userId, body.user.id))
    expect(events.map((event) => event.eventType)).toEqual(['REGISTER'])
    expect(events[0]?.sessionId).toBe(body.sessionId)
  })

  it('keeps the refresh token out of the body for browsers (Fetch Metadata present)', async () => {
    const response = await post(
      { email: uniqueEmail(), name: 'Browser', password: PASSWORD, confirmPassword: PASSWORD },
      { 'sec-fetch-mode': 'cors', 'sec-fetch-site': 'same-origin' },
    )
    expect(response.statusCode).toBe(201)
    expect(response.json().refreshToken).toBeUndefined()
    expect(String(response.headers['set-cookie'])).toMatch(/refresh_token=[A-Za-z0-9_-]{43};/)
  })

  it('can drop the Secure flag for local http (COOKIE_SECURE=false)', async () => {
    const local = await startTestApp(db, { env: { COOKIE_SECURE: 'false' } })
    const grant = await local.app.inject({
      method: 'POST',
      url: '/api/auth/register',
      payload: { email: uniqueEmail(), name: 'Local', password: PASSWORD, confirmPassword: PASSWORD },
    })
    expect(String(grant.headers['set-cookie'])).not.toMatch(/Secure/)
    await local.app.close()
  })

  it('answers a taken email with 409 and nothing more', async () => {
    const first = await register(t.app)
    const again = await post({
      email: first.email.toUpperCase(),
      name: 'Other',
      password: PASSWORD,
      confirmPassword: PASSWORD,
    })
    expect(again.statusCode).toBe(409)
    expect(again.json()).toMatchObject({ code: 'AUTH_API_EMAIL_TAKEN', status: 409 })
    expect(again.body).not.toContain(first.user.id)
    expect(again.headers['set-cookie']).toBeUndefined()
  })

  it('validates email format, required fields, password policy and confirmation with field paths', async () => {
    const badEmail = await post({
      email: 'not-an-email',
      name: 'X',
      password: PASSWORD,
      confirmPassword: PASSWORD,
    })
    expect(badEmail.statusCode).toBe(400)
    expect(badEmail.json().errors).toEqual([{ path: '/body/email', message: expect.any(String) }])

    const missing = await post({ email: uniqueEmail() })
    expect(missing.statusCode).toBe(400)
    expect(
      missing
        .json()
        .errors.map((e: { path: string }) => e.path)
        .sort(),
    ).toEqual(['/body/confirmPassword', '/body/name', '/body/password'])

    const mismatch = await post({
      email: uniqueEmail(),
      name: 'X',
      password: PASSWORD,
      confirmPassword: `${PASSWORD}!`,
    })
    expect(mismatch.statusCode).toBe(400)
    expect(mismatch.json().errors).toEqual([
      { path: '/body/confirmPassword', message: 'must match password' },
    ])

    for (const weak of ['short', 'password123', 'aaaaaaaaaaaa']) {
      const response = await post({ email: uniqueEmail(), name: 'X', password: weak, confirmPassword: weak })
      expect(response.statusCode).toBe(400)
      expect(response.json().code).toBe('AUTH_API_WEAK_PASSWORD')
      expect(response.json().errors[0].path).toBe('/body/password')
    }
    const email = uniqueEmail('margaret')
    const likeEmail = `${email.split('@')[0]}2024`
    const similar = await post({ email, name: 'X', password: likeEmail, confirmPassword: likeEmail })
    expect(similar.json().errors).toContainEqual({
      path: '/body/password',
      message: 'must not contain your email address',
    })
  })

  it('strips unknown fields instead of storing them, and refuses oversize and malformed bodies', async () => {
    const response = await post({
      email: uniqueEmail(),
      name: 'Strip',
      password: PASSWORD,
      confirmPassword: PASSWORD,
      isAdmin: true,
      emailVerifiedAt: '2020-01-01T00:00:00Z',
    })
    expect(response.statusCode).toBe(201)
    expect(response.json().user.emailVerified).toBe(false)

    const huge = await post({
      email: uniqueEmail(),
      name: 'x'.repeat(20_000),
      password: PASSWORD,
      confirmPassword: PASSWORD,
    })
    expect(huge.statusCode).toBe(413)
    expect(huge.json().code).toBe('AUTH_API_BODY_TOO_LARGE')

    const longPassword = 'p'.repeat(1025)
    const tooLong = await post({
      email: uniqueEmail(),
      name: 'X',
      password: longPassword,
      confirmPassword: longPassword,
    })
    expect(tooLong.statusCode).toBe(400)

    const malformed = await t.app.inject({
      method: 'POST',
      url: '/api/auth/register',
      headers: { 'content-type': 'application/json' },
      payload: '{"email":',
    })
    expect(malformed.statusCode).toBe(400)
    expect(malformed.json().code).toBe('AUTH_API_MALFORMED_JSON')
  })
})
