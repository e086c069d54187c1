import { randomUUID } from 'node:crypto'
import { openPoolConnections } from '@gatehouse/db-kit/testing'
import { INTERNAL_CONTEXT_HEADER } from '@gatehouse/service-kit'
import { eq } from 'drizzle-orm'
import { afterAll, describe, expect, it } from 'vitest'
import { authSessions } from '../src/db/schema/index.ts'
import { codeIn, createSession, decide, scan } from './factories.ts'
import { openQrTestEnv } from './fixtures.ts'

const env = await openQrTestEnv()
const { db, t } = env
afterAll(() => env.close())

async function storedSession(id: string) {
  const [row] = await db.db.select().from(authSessions).where(eq(authSessions.id, id))
  return row
}

describe('the phone', () => {
  it('must be signed in (the gateway signs the user in); a forged context is refused', async () => {
    const session = await createSession(t.app)
    const code = codeIn(session.qr.payload)
    const anonymous = await t.app.inject({
      method: 'POST',
      url: `/api/qr/sessions/${session.id}/scan`,
      payload: { code },
    })
    expect(anonymous.statusCode).toBe(401)
    expect(anonymous.json().code).toBe('QR_AUTH_LOGIN_REQUIRED')
    const forged = await t.app.inject({
      method: 'POST',
      url: `/api/qr/sessions/${session.id}/scan`,
      headers: { [INTERNAL_CONTEXT_HEADER]: 'forged' },
      payload: { code },
    })
    expect(forged.statusCode).toBe(401)
    expect(forged.json().code).toBe('QR_AUTH_INTERNAL_CONTEXT_INVALID')
    for (const decision of ['approve', 'reject']) {
      const response = await t.app.inject({
        method: 'POST',
        url: `/api/qr/sessions/${session.id}/${decision}`,
      })
      expect(response.json().code).toBe('QR_AUTH_LOGIN_REQUIRED')
    }
    expect((await storedSession(session.id))?.status).toBe('pending')
  })

  it('scans with the code of the QR, claiming the session; wrong codes and unknown sessions are refused', async () => {
    const user = randomUUID()
    const session = await createSession(t.app)
    const wrong = await scan(t.app, session.id, 'AAAAAAAAAAAAAAAAAAAAAA', user)
    expect(wrong.statusCode).toBe(403)
    expect(wrong.json().code).toBe('QR_AUTH_CODE_INVALID')
    const unknown = await scan(t.app, randomUUID(), codeIn(session.qr.payload), user)
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json().code).toBe('QR_AUTH_SESSION_NOT_FOUND')

    const scanned = await scan(t.app, session.id, codeIn(session.qr.payload), user)
    expect(scanned.statusCode).toBe(200)
    expect(scanned.headers['cache-control']).toBe('no-store')
    expect(await storedSession(session.id)).toMatchObject({ status: 'scanned', userId: user })
    // The code was for one scan.
    const again = await scan(t.app, session.id, codeIn(session.qr.payload), randomUUID())
    expect(again.statusCode).toBe(409)
    expect(again.json().code).toBe('QR_AUTH_SESSION_ALREADY_SCANNED')
    expect((await storedSession(session.id))?.userId).toBe(user)
  })

  it('lets only the user who scanned approve or reject (GHSA-cq3f-vc6p-68fh)', async () => {
    const owner = randomUUID()
    const intruder = randomUUID()
    const session = await createSession(t.app)
    const early = await decide(t.app, 'approve', session.id, intruder)
    expect(early.statusCode).toBe(409)
    expect(early.json().code).toBe('QR_AUTH_SESSION_NOT_SCANNED')
    await scan(t.app, session.id, codeIn(session.qr.payload), owner)
    for (const decision of ['approve', 'reject'] as const) {
      const response = await decide(t.app, decision, session.id, intruder)
      expect(response.statusCode).toBe(403)
      expect(response.json().code).toBe('QR_AUTH_SESSION_CLAIMED')
    }
    expect((await storedSession(session.id))?.status).toBe('scanned')
    expect((await decide(t.app, 'approve', session.id, owner)).statusCode).toBe(200)
    expect((await storedSession(session.id))?.approvedAt).toEqual(t.clock())
  })

  it('decides once: no second approval, no reject after approval, nothing after expiry', async () => {
    const user = randomUUID()
    const approved = await createSession(t.app)
    await scan(t.app, approved.id, codeIn(approved.qr.payload), user)
    await decide(t.app, 'approve', approved.id, user)
    for (const decision of ['approve', 'reject'] as const) {
      const response = await decide(t.app, decision, approved.id, user)
      expect(response.statusCode).toBe(409)
      expect(response.json().code).toBe('QR_AUTH_SESSION_ALREADY_DECIDED')
    }
    expect((await storedSession(approved.id))?.status).toBe('approved')

    const late = await createSession(t.app)
    await scan(t.app, late.id, codeIn(late.qr.payload), user)
    t.clock.advance(120_000)
    const expired = await decide(t.app, 'approve', late.id, user)
    expect(expired.statusCode).toBe(410)
    expect(expired.json().code).toBe('QR_AUTH_SESSION_EXPIRED')
    expect((await storedSession(late.id))?.status).toBe('scanned')
  })

  it.runIf(process.env.TEST_DATABASE_URL)(
    'gives a session to exactly one of many users scanning it at once (PostgreSQL)',
    async () => {
      await openPoolConnections(db, 5)
      const session = await createSession(t.app)
      const users = Array.from({ length: 20 }, () => randomUUID())
      const responses = await Promise.all(
        users.map((user) => scan(t.app, session.id, codeIn(session.qr.payload), user)),
      )
      const statuses = responses.map((response) => response.statusCode).sort()
      expect(statuses).toEqual([200, ...Array(19).fill(409)])
      const winner = users[responses.findIndex((response) => response.statusCode === 200)]
      expect((await storedSession(session.id))?.userId).toBe(winner)
    },
  )
})
