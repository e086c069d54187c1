import type { TestDb } from '@gatehouse/db-kit/testing'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditLogs, refreshTokens } from '../src/db/schema/index.ts'
import { bearer, login, me, PASSWORD, refresh, register } from './factories.ts'
import { closeTestApp, openTestApp, type TestApp } from './fixtures.ts'

let db: TestDb
let t: TestApp

beforeAll(async () => {
  ;({ db, t } = await openTestApp())
})
afterAll(() => closeTestApp(t, db))

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0'
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Version/17.5 Mobile/15E148 Safari/604.1'

function listSessions(accessToken: string) {
  return t.app.inject({ method: 'GET', url: '/api/auth/sessions', headers: bearer(accessToken) })
}

function deleteSession(accessToken: string, id: string) {
  return t.app.inject({ method: 'DELETE', url: `/api/auth/sessions/${id}`, headers: bearer(accessToken) })
}

describe('GET /api/auth/sessions', () => {
  it("lists only this user's live sessions with device, IP, times and the current flag", async () => {
    const laptop = await register(t.app, {
      headers: { 'user-agent': FIREFOX, 'x-forwarded-for': '203.0.113.7' },
    })
    const phone = (
      await login(t.app, laptop.email, PASSWORD, { 'user-agent': IPHONE, 'x-forwarded-for': '198.51.100.2' })
    ).json()
    await register(t.app) // someone else
    t.clock.advance(60 * 1000)
    await refresh(t.app, phone.refreshToken)

    const response = await listSessions(laptop.accessToken)
    expect(response.statusCode).toBe(200)
    const { sessions } = response.json()
    expect(sessions).toHaveLength(2)
    // Most recently active first.
    expect(sessions[0]).toMatchObject({
      id: phone.sessionId,
      device: 'Safari on iOS',
      ip: '198.51.100.2',
      current: false,
    })
    expect(sessions[1]).toMatchObject({
      id: laptop.sessionId,
      device: 'Firefox on Linux',
      ip: '203.0.113.7',
      current: true,
    })
    expect(new Date(sessions[0].lastActiveAt).getTime()).toBe(t.clock().getTime())
    expect(sessions[1].lastActiveAt).toBe(sessions[1].createdAt)
  })
})

describe('DELETE /api/auth/sessions/:id', () => {
  it('revokes one of my other sessions and its tokens', async () => {
    const laptop = await register(t.app)
    const phone = (await login(t.app, laptop.email, PASSWORD)).json()
    const response = await deleteSession(laptop.accessToken, phone.sessionId)
    expect(response.statusCode).toBe(204)
    expect(response.headers['set-cookie']).toBeUndefined()
    expect((await me(t.app, phone.accessToken)).statusCode).toBe(401)
    expect((await refresh(t.app, phone.refreshToken)).statusCode).toBe(401)
    expect((await me(t.app, laptop.accessToken)).statusCode).toBe(200)
    const tokens = await db.db
      .select()
      .from(refreshTokens)
      .where(eq(refreshTokens.sessionId, phone.sessionId))
    expect(tokens.every((token) => token.revoked && token.revokedReason === 'revoked_by_user')).toBe(true)
    const [event] = await db.db.select().from(auditLogs).where(eq(auditLogs.eventType, 'SESSION_REVOKED'))
    expect(event).toMatchObject({ userId: laptop.user.id, sessionId: phone.sessionId })
    expect((await listSessions(laptop.accessToken)).json().sessions).toHaveLength(1)
  })

  it("answers 404 for another user's session and leaves it alone", async () => {
    const alice = await register(t.app)
    const mallory = await register(t.app)
    const response = await deleteSession(mallory.accessToken, alice.sessionId)
    expect(response.statusCode).toBe(404)
    expect(response.json().code).toBe('AUTH_API_SESSION_NOT_FOUND')
    expect((await me(t.app, alice.accessToken)).statusCode).toBe(200)
  })

  it('clears the cookie when I revoke my current session, and validates the id', async () => {
    const user = await register(t.app)
    const response = await deleteSession(user.accessToken, user.sessionId)
    expect(response.statusCode).toBe(204)
    expect(String(response.headers['set-cookie'])).toContain('refresh_token=;')
    const bad = await deleteSession((await register(t.app)).accessToken, 'not-a-uuid')
    expect(bad.statusCode).toBe(400)
    expect(bad.json().errors[0].path).toBe('/params/id')
  })
})

describe('POST /api/auth/logout-all', () => {
  it('revokes every session of mine, not other users', async () => {
    const user = await register(t.app)
    const second = (await login(t.app, user.email, PASSWORD)).json()
    const other = await register(t.app)
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/auth/logout-all',
      headers: bearer(second.accessToken),
    })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ revokedSessions: 2 })
    expect(String(response.headers['set-cookie'])).toContain('refresh_token=;')
    expect((await me(t.app, user.accessToken)).statusCode).toBe(401)
    expect((await refresh(t.app, second.refreshToken)).statusCode).toBe(401)
    expect((await me(t.app, other.accessToken)).statusCode).toBe(200)
    const events = await db.db.select().from(auditLogs).where(eq(auditLogs.eventType, 'LOGOUT_ALL'))
    expect(events.map((event) => event.userId)).toContain(user.user.id)
  })
})

describe('POST /api/auth/logout', () => {
  it('logs out by access token alone, and is idempotent, even without any credential', async () => {
    const user = await register(t.app)
    const byAccess = await t.app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      headers: bearer(user.accessToken),
    })
    expect(byAccess.statusCode).toBe(204)
    expect((await refresh(t.app, user.refreshToken)).statusCode).toBe(401)

    const again = await t.app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      cookies: { refresh_token: user.refreshToken },
    })
    expect(again.statusCode).toBe(204)
    const logouts = await db.db.select().from(auditLogs).where(eq(auditLogs.eventType, 'LOGOUT'))
    expect(logouts.filter((row) => row.sessionId === user.sessionId)).toHaveLength(1)

    // Issue 13, defect 14: nothing to log out is not an error (the refresh cookie is cleared all the same).
    const nothing = await t.app.inject({ method: 'POST', url: '/api/auth/logout' })
    expect(nothing.statusCode).toBe(204)
    expect(String(nothing.headers['set-cookie'])).toContain('refresh_token=;')
    const twice = await t.app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      headers: bearer(user.accessToken),
    })
    expect(twice.statusCode).toBe(204)
  })
})
