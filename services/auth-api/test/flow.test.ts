import type { TestDb } from '@gatehouse/db-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, me, refresh, register } from './factories.ts'
import { closeTestApp, openTestApp, type TestApp } from './fixtures.ts'

let db: TestDb
let t: TestApp

beforeAll(async () => {
  ;({ db, t } = await openTestApp())
})
afterAll(() => closeTestApp(t, db))

describe('register → me → refresh → refresh → logout', () => {
  it('walks the whole life of a session', async () => {
    const { app } = t
    const registered = await register(app, { name: 'Ada Lovelace' })
    expect(registered.tokenType).toBe('Bearer')
    expect(registered.expiresIn).toBe(900)
    expect(registered.user).toMatchObject({
      email: registered.email,
      name: 'Ada Lovelace',
      emailVerified: false,
    })

    const profile = await me(app, registered.accessToken)
    expect(profile.statusCode).toBe(200)
    expect(profile.json()).toEqual({ user: registered.user, sessionId: registered.sessionId })

    const first = await refresh(app, registered.refreshToken)
    expect(first.statusCode).toBe(200)
    const firstGrant = first.json()
    expect(firstGrant.refreshToken).not.toBe(registered.refreshToken)
    expect(firstGrant.sessionId).toBe(registered.sessionId)

    const second = await refresh(app, firstGrant.refreshToken)
    expect(second.statusCode).toBe(200)
    const secondGrant = second.json()
    expect((await me(app, secondGrant.accessToken)).statusCode).toBe(200)

    const logout = await app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      payload: { refreshToken: secondGrant.refreshToken },
    })
    expect(logout.statusCode).toBe(204)
    expect(logout.headers['set-cookie']).toContain('refresh_token=;')

    const afterLogout = await me(app, secondGrant.accessToken)
    expect(afterLogout.statusCode).toBe(401)
    expect(afterLogout.json().code).toBe('AUTH_API_SESSION_EXPIRED')
    const refreshAfterLogout = await refresh(app, secondGrant.refreshToken)
    expect(refreshAfterLogout.statusCode).toBe(401)
    expect(refreshAfterLogout.headers['content-type']).toContain('application/problem+json')

    const sessions = await app.inject({
      method: 'GET',
      url: '/api/auth/sessions',
      headers: bearer(firstGrant.accessToken),
    })
    expect(sessions.statusCode).toBe(401)
  })
})
