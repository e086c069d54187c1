import { inArray } from 'drizzle-orm'
import { afterAll, describe, expect, it } from 'vitest'
import { authSessions } from '../src/db/schema/index.ts'
import { approvedSession, createSession, exchange, exchangeableSession, registerUser } from './factories.ts'
import { type AuthApi, CRON_SECRET, openQrTestEnv, startQrApp } from './fixtures.ts'

const env = await openQrTestEnv({ authApi: true })
const { db, t } = env
const authApi = env.authApi as AuthApi
afterAll(() => env.close())

function cleanup(app = t.app, headers: Record<string, string> = { authorization: `Bearer ${CRON_SECRET}` }) {
  return app.inject({ method: 'POST', url: '/api/admin/cleanup-qr-sessions', headers })
}

describe('cleanup of QR sessions', () => {
  it('deletes exchanged and expired sessions only, behind the cron secret', async () => {
    const user = await registerUser(authApi)
    const expired = await createSession(t.app)
    t.clock.advance(121_000)
    const spent = await exchangeableSession(t.app, user)
    expect(
      (await exchange(t.app, { sessionId: spent.id, exchangeToken: spent.exchangeToken })).statusCode,
    ).toBe(200)
    const waiting = await createSession(t.app)
    const approved = await approvedSession(t.app, user)

    const refusedHeaders: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: CRON_SECRET },
    ]
    for (const headers of refusedHeaders) {
      const refused = await cleanup(t.app, headers)
      expect(refused.statusCode).toBe(401)
      expect(refused.json().code).toBe('QR_AUTH_CRON_SECRET_REQUIRED')
    }
    const ids = [expired.id, spent.id, waiting.id, approved.id]
    expect(await db.db.select().from(authSessions).where(inArray(authSessions.id, ids))).toHaveLength(4)

    const response = await cleanup()
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ success: true, message: 'Cleaned up 2 QR sessions', deletedCount: 2 })
    const left = await db.db
      .select({ id: authSessions.id })
      .from(authSessions)
      .where(inArray(authSessions.id, ids))
    expect(left.map((row) => row.id).sort()).toEqual([waiting.id, approved.id].sort())
    expect((await cleanup()).json().deletedCount).toBe(0)
  })

  it('refuses everyone when no CRON_SECRET is configured', async () => {
    const open = await startQrApp(db, { authApiUrl: authApi.url, env: { CRON_SECRET: '' } })
    const response = await cleanup(open.app)
    expect(response.statusCode).toBe(401)
    await open.app.close()
  })

  it("finds exchanged sessions through the seed's is_exchanged index, expired ones through expires_at's", async () => {
    const plan = await db.raw.transaction(async (tx) => {
      await tx.exec('set local enable_seqscan = off')
      return tx.query<{ 'QUERY PLAN': string }>(
        // cleanup_qr_sessions' statement.
        'explain delete from auth_sessions where is_exchanged = true or expires_at <= now()',
      )
    })
    const text = plan.map((line) => line['QUERY PLAN']).join('\n')
    expect(text).toContain('idx_auth_sessions_is_exchanged')
    expect(text).toContain('idx_auth_sessions_expires_at')
  })
})
