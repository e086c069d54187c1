import type { TestDb } from '@gatehouse/db-kit/testing'
import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { refreshTokens, sessions } from '../src/db/schema/index.ts'
import { refresh, register } from './factories.ts'
import { CRON_SECRET, closeTestApp, openTestApp, openTestDb, startTestApp, type TestApp } from './fixtures.ts'

let db: TestDb
let t: TestApp

beforeAll(async () => {
  ;({ db, t } = await openTestApp())
})
afterAll(() => closeTestApp(t, db))

function cleanup(authorization?: string) {
  return t.app.inject({
    method: 'POST',
    url: '/api/admin/cleanup-sessions',
    headers: authorization ? { authorization } : {},
  })
}

describe('POST /api/admin/cleanup-sessions', () => {
  it('refuses without the cron secret, with a wrong one, and when none is configured', async () => {
    for (const authorization of [undefined, 'Bearer wrong-secret', `Basic ${CRON_SECRET}`, CRON_SECRET]) {
      const response = await cleanup(authorization)
      expect(response.statusCode).toBe(401)
      expect(response.json().code).toBe('AUTH_API_CRON_SECRET_REQUIRED')
    }
    const unconfigured = await startTestApp(db, { env: { CRON_SECRET: '' } })
    expect(unconfigured.config.CRON_SECRET).toBeUndefined()
    const response = await unconfigured.app.inject({
      method: 'POST',
      url: '/api/admin/cleanup-sessions',
      headers: { authorization: 'Bearer ' },
    })
    expect(response.statusCode).toBe(401)
    await unconfigured.app.close()
  })

  it("deletes expired and revoked sessions with their tokens and answers seed 003's shape with the count", async () => {
    const live = await register(t.app)
    const loggedOut = await register(t.app)
    await t.app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      payload: { refreshToken: loggedOut.refreshToken },
    })
    const old = await register(t.app)
    await refresh(t.app, old.refreshToken)

    const nothingYet = await cleanup(`Bearer ${CRON_SECRET}`)
    expect(nothingYet.json()).toMatchObject({ success: true, deletedCount: 1, deletedRefreshTokens: 1 })

    // Sessions are absolute: 30 days after login they are gone, however recently they were refreshed.
    t.clock.advance((t.config.SESSION_TTL - 10) * 1000)
    const fresh = await register(t.app)
    t.clock.advance(20 * 1000)
    const response = await cleanup(`Bearer ${CRON_SECRET}`)
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({
      success: true,
      message: 'Cleaned up 2 expired sessions',
      deletedCount: 2,
      deletedRefreshTokens: 3,
    })
    const remaining = await db.db.select({ id: sessions.id }).from(sessions)
    expect(remaining.map((row) => row.id)).toContain(fresh.sessionId)
    for (const gone of [live, old, loggedOut])
      expect(remaining.map((row) => row.id)).not.toContain(gone.sessionId)
    const orphanTokens = await db.db
      .select()
      .from(refreshTokens)
      .where(eq(refreshTokens.sessionId, old.sessionId))
    expect(orphanTokens).toHaveLength(0)
  })
})

describe('cleanup_expired_refresh_tokens(days)', () => {
  it('answers 0 on a database with nothing to clean, as seed 001 shows', async () => {
    const fresh = await openTestDb()
    const rows = await fresh.raw.query<{ cleanup_expired_refresh_tokens: number }>(
      'SELECT cleanup_expired_refresh_tokens(30)',
    )
    expect(rows).toEqual([{ cleanup_expired_refresh_tokens: 0 }])
    await fresh.close()
  })

  it('removes tokens that expired or were revoked more than N days ago and counts them', async () => {
    const user = await register(t.app)
    const [token] = await db.db
      .select()
      .from(refreshTokens)
      .where(eq(refreshTokens.sessionId, user.sessionId))
    if (!token) throw new Error('no token')
    const other = await register(t.app)
    await db.db
      .update(refreshTokens)
      .set({ expiresAt: sql`now() - interval '31 days'` })
      .where(eq(refreshTokens.id, token.id))
    await db.db
      .update(refreshTokens)
      .set({ revoked: true, revokedAt: sql`now() - interval '40 days'` })
      .where(eq(refreshTokens.sessionId, other.sessionId))
    const rows = await db.raw.query<{ removed: number }>(
      'SELECT cleanup_expired_refresh_tokens(30) AS removed',
    )
    expect(rows[0]?.removed).toBe(2)
    const again = await db.raw.query<{ removed: number }>(
      'SELECT cleanup_expired_refresh_tokens(30) AS removed',
    )
    expect(again[0]?.removed).toBe(0)
  })
})
