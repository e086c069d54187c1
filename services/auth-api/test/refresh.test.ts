import { openPoolConnections, type TestDb } from '@gatehouse/db-kit/testing'
import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditLogs, refreshTokens, sessions } from '../src/db/schema/index.ts'
import { hashRefreshToken } from '../src/refresh-tokens.ts'
import { me, refresh, register } from './factories.ts'
import { closeTestApp, openTestApp, type TestApp } from './fixtures.ts'

let db: TestDb
let t: TestApp

beforeAll(async () => {
  ;({ db, t } = await openTestApp())
})
afterAll(() => closeTestApp(t, db))

function cookieValue(setCookie: string | string[] | undefined): string | undefined {
  const header = Array.isArray(setCookie) ? setCookie.join('\n') : (setCookie ?? '')
  return /refresh_token=([^;]*)/.exec(header)?.[1]
}

async function familyOf(token: string) {
  const [row] = await db.db
    .select()
    .from(refreshTokens)
    .where(eq(refreshTokens.tokenHash, hashRefreshToken(token)))
  if (!row) throw new Error('token not stored')
  return db.db.select().from(refreshTokens).where(eq(refreshTokens.familyId, row.familyId))
}

describe('refresh token rotation', () => {
  it('rotates from the cookie alone and sets the successor as the new cookie', async () => {
    const user = await register(t.app)
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/auth/refresh',
      cookies: { refresh_token: user.refreshToken },
    })
    expect(response.statusCode).toBe(200)
    const successor = cookieValue(response.headers['set-cookie'])
    expect(successor).toBe(response.json().refreshToken)
    expect(successor).not.toBe(user.refreshToken)
    const family = await familyOf(user.refreshToken)
    expect(family).toHaveLength(2)
    const parent = family.find((row) => row.tokenHash === hashRefreshToken(user.refreshToken))
    expect(parent?.usedAt).not.toBeNull()
  })

  it('revokes the whole family and the session when a rotated token comes back later, and logs it', async () => {
    const user = await register(t.app)
    const first = (await refresh(t.app, user.refreshToken)).json()
    const second = (await refresh(t.app, first.refreshToken)).json()
    t.clock.advance((t.config.REFRESH_REUSE_GRACE + 1) * 1000)

    const replay = await refresh(t.app, user.refreshToken)
    expect(replay.statusCode).toBe(401)
    expect(replay.json()).toMatchObject({ code: 'AUTH_API_TOKEN_REUSED', status: 401 })

    const family = await familyOf(user.refreshToken)
    expect(family).toHaveLength(3)
    expect(family.every((row) => row.revoked && row.revokedReason === 'token_reuse')).toBe(true)
    const [session] = await db.db.select().from(sessions).where(eq(sessions.id, user.sessionId))
    expect(session?.revokedReason).toBe('token_reuse')

    // The legitimate holder's current token and access token die with the session.
    expect((await refresh(t.app, second.refreshToken)).statusCode).toBe(401)
    expect((await me(t.app, second.accessToken)).statusCode).toBe(401)

    const attacks = await db.db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.eventType, 'TOKEN_REUSE_ATTACK'), eq(auditLogs.sessionId, user.sessionId)))
    expect(attacks).toHaveLength(1)
    expect(attacks[0]?.userId).toBe(user.user.id)
    expect(attacks[0]?.details).toMatchObject({ familyId: family[0]?.familyId })
  })

  it('answers two concurrent refreshes with the same token with the same successor (two tabs)', async () => {
    const user = await register(t.app)
    await openPoolConnections(db, 2)
    const [a, b] = await Promise.all([refresh(t.app, user.refreshToken), refresh(t.app, user.refreshToken)])
    expect(a.statusCode).toBe(200)
    expect(b.statusCode).toBe(200)
    expect(a.json().refreshToken).toBe(b.json().refreshToken)
    expect(await familyOf(user.refreshToken)).toHaveLength(2)

    // The shared successor is a normal live token: it rotates, and the session is intact.
    const next = await refresh(t.app, a.json().refreshToken)
    expect(next.statusCode).toBe(200)
    expect((await me(t.app, next.json().accessToken)).statusCode).toBe(200)
  })

  it('keeps the rule under many concurrent refreshes: one successor, no revocation', async () => {
    await openPoolConnections(db, 8)
    for (let round = 0; round < 5; round++) {
      const user = await register(t.app)
      const responses = await Promise.all(Array.from({ length: 8 }, () => refresh(t.app, user.refreshToken)))
      expect(responses.map((response) => response.statusCode)).toEqual(Array(8).fill(200))
      expect(new Set(responses.map((response) => response.json().refreshToken)).size).toBe(1)
      const family = await familyOf(user.refreshToken)
      expect(family).toHaveLength(2)
      expect(family.some((row) => row.revoked)).toBe(false)
    }
  })

  it('returns the same successor within the grace window, but not once that successor was itself rotated', async () => {
    const user = await register(t.app)
    const first = (await refresh(t.app, user.refreshToken)).json()
    t.clock.advance(5 * 1000)
    const again = await refresh(t.app, user.refreshToken)
    expect(again.statusCode).toBe(200)
    expect(again.json().refreshToken).toBe(first.refreshToken)

    await refresh(t.app, first.refreshToken)
    const twoStepsBack = await refresh(t.app, user.refreshToken)
    expect(twoStepsBack.statusCode).toBe(401)
    expect(twoStepsBack.json().code).toBe('AUTH_API_TOKEN_REUSED')
  })

  it('refuses unknown, malformed, missing and expired refresh tokens with 401 problem+json', async () => {
    const unknown = await refresh(t.app, 'A'.repeat(43))
    expect(unknown.statusCode).toBe(401)
    expect(unknown.json().code).toBe('AUTH_API_INVALID_REFRESH_TOKEN')
    const malformed = await refresh(t.app, 'not a token; drop table users')
    expect(malformed.json().code).toBe('AUTH_API_INVALID_REFRESH_TOKEN')
    const missing = await t.app.inject({ method: 'POST', url: '/api/auth/refresh' })
    expect(missing.statusCode).toBe(401)
    expect(missing.headers['content-type']).toContain('application/problem+json')
    const tooLong = await refresh(t.app, 'x'.repeat(600))
    expect(tooLong.statusCode).toBe(400)

    const user = await register(t.app)
    t.clock.advance((t.config.SESSION_TTL + 1) * 1000)
    const expired = await refresh(t.app, user.refreshToken)
    expect(expired.statusCode).toBe(401)
    expect(expired.json().code).toBe('AUTH_API_INVALID_REFRESH_TOKEN')
  })
})
