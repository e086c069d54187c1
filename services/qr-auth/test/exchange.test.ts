import { createServer, type Server } from 'node:net'
import { createDb, type DbHandle } from '@gatehouse/db-kit'
import { openPoolConnections, type TestDb } from '@gatehouse/db-kit/testing'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authSessions } from '../src/db/schema/index.ts'
import { exchangeTokenFor } from '../src/desktop-secrets.ts'
import {
  codeIn,
  createSession,
  decide,
  exchange,
  exchangeableSession,
  type PhoneUser,
  registerUser,
  scan,
} from './factories.ts'
import { type AuthApi, openQrTestEnv, type QrApp, startQrApp } from './fixtures.ts'

const env = await openQrTestEnv({ authApi: true })
const { db, t } = env
const authApi = env.authApi as AuthApi
afterAll(() => env.close())

async function authApiSessionCount(userId: string): Promise<number> {
  const [row] = await authApi.db.raw.query<{ count: number }>(
    'select count(*)::int as count from sessions where user_id = $1',
    [userId],
  )
  return Number(row?.count)
}

async function isExchanged(id: string) {
  const [row] = await db.db.select().from(authSessions).where(eq(authSessions.id, id))
  return row?.isExchanged
}

/** A port on which nothing listens: auth-api is down. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}

describe('the one-time exchange', () => {
  let user: PhoneUser
  beforeAll(async () => {
    user = await registerUser(authApi)
  })

  it('refuses every replay with a stable code and a warn line, and issues nothing', async () => {
    const spent = await exchangeableSession(t.app, user)
    expect(
      (await exchange(t.app, { sessionId: spent.id, exchangeToken: spent.exchangeToken })).statusCode,
    ).toBe(200)
    const expired = await exchangeableSession(t.app, user)
    t.clock.advance(121_000)
    const rejected = await createSession(t.app)
    await scan(t.app, rejected.id, codeIn(rejected.qr.payload), user.userId)
    await decide(t.app, 'reject', rejected.id, user.userId)
    const pending = await createSession(t.app)
    const scanned = await createSession(t.app)
    await scan(t.app, scanned.id, codeIn(scanned.qr.payload), user.userId)
    const live = await exchangeableSession(t.app, user)
    const fresh = await exchangeableSession(t.app, user)
    const before = await authApiSessionCount(user.userId)
    const logStart = t.logs.lines().length

    // Even with the right token (the desktop can derive it), nothing but an approved session is exchanged.
    const cases = [
      {
        name: 'second exchange',
        body: { sessionId: spent.id, exchangeToken: spent.exchangeToken },
        status: 409,
        code: 'EXCHANGE_TOKEN_USED',
      },
      {
        name: 'after expiry',
        body: { sessionId: expired.id, exchangeToken: expired.exchangeToken },
        status: 401,
        code: 'EXCHANGE_TOKEN_EXPIRED',
      },
      {
        name: 'wrong token',
        body: { sessionId: fresh.id, exchangeToken: '0'.repeat(64) },
        status: 401,
        code: 'EXCHANGE_TOKEN_INVALID',
      },
      {
        name: 'rejected',
        body: { sessionId: rejected.id, exchangeToken: exchangeTokenFor(rejected.pollToken) },
        status: 409,
        code: 'SESSION_REJECTED',
      },
      {
        name: 'pending',
        body: { sessionId: pending.id, exchangeToken: exchangeTokenFor(pending.pollToken) },
        status: 409,
        code: 'SESSION_NOT_APPROVED',
      },
      {
        name: 'scanned',
        body: { sessionId: scanned.id, exchangeToken: exchangeTokenFor(scanned.pollToken) },
        status: 409,
        code: 'SESSION_NOT_APPROVED',
      },
      {
        name: "another session's token",
        body: { sessionId: fresh.id, exchangeToken: live.exchangeToken },
        status: 401,
        code: 'EXCHANGE_TOKEN_INVALID',
      },
      {
        name: 'unknown session',
        body: { sessionId: '00000000-0000-4000-8000-000000000000', exchangeToken: fresh.exchangeToken },
        status: 401,
        code: 'EXCHANGE_TOKEN_INVALID',
      },
    ]
    for (const { name, body, status, code } of cases) {
      const response = await exchange(t.app, body)
      expect([name, response.statusCode]).toEqual([name, status])
      expect(response.headers['content-type']).toContain('application/problem+json')
      expect([name, response.json().code]).toEqual([name, `QR_AUTH_${code}`])
      expect(response.body).not.toContain('accessToken')
    }
    expect(await authApiSessionCount(user.userId)).toBe(before)
    const warnings = t.logs
      .lines()
      .slice(logStart)
      .filter((line) => line.msg === 'qr exchange refused')
    expect(warnings.map((line) => line.level)).toEqual(Array(cases.length).fill(40))
    expect(warnings.map((line) => line.code)).toEqual(cases.map((c) => c.code))
    for (const token of [spent, expired, live, fresh].map((s) => s.exchangeToken)) {
      expect(t.logs.text()).not.toContain(token)
    }
    // The right token still works for the session it belongs to.
    expect(
      (await exchange(t.app, { sessionId: fresh.id, exchangeToken: fresh.exchangeToken })).statusCode,
    ).toBe(200)
  })

  it('keeps the token spendable once more when auth-api is down after the flip (503, Retry-After)', async () => {
    const session = await exchangeableSession(t.app, user)
    const before = await authApiSessionCount(user.userId)
    const down = await startQrApp(db, {
      authApiUrl: `http://127.0.0.1:${await closedPort()}`,
      clock: t.clock,
    })
    try {
      const failed = await exchange(down.app, { sessionId: session.id, exchangeToken: session.exchangeToken })
      expect(failed.statusCode).toBe(503)
      expect(failed.headers['retry-after']).toBe('1')
      expect(failed.json()).toMatchObject({ code: 'QR_AUTH_SESSION_ISSUER_UNAVAILABLE', retryable: true })
      expect(failed.body).not.toContain('ECONNREFUSED')
      expect(await isExchanged(session.id)).toBe(false)
      expect(down.logs.lines().some((line) => line.msg.includes('auth-api failed after the flip'))).toBe(true)
      expect(down.logs.text()).not.toContain(session.exchangeToken)
    } finally {
      await down.app.close()
    }
    expect(await authApiSessionCount(user.userId)).toBe(before)

    // auth-api is back (here: another replica that reaches it): the same token works, once.
    const retried = await exchange(t.app, { sessionId: session.id, exchangeToken: session.exchangeToken })
    expect(retried.statusCode).toBe(200)
    expect(await authApiSessionCount(user.userId)).toBe(before + 1)
    const again = await exchange(t.app, { sessionId: session.id, exchangeToken: session.exchangeToken })
    expect(again.json().code).toBe('QR_AUTH_EXCHANGE_TOKEN_USED')
  })

  it('gives up waiting for a hanging auth-api after AUTH_API_TIMEOUT_MS, with the same 503', async () => {
    const sockets: import('node:net').Socket[] = []
    const hanging: Server = createServer((socket) => sockets.push(socket))
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve))
    const { port } = hanging.address() as { port: number }
    const slow = await startQrApp(db, {
      authApiUrl: `http://127.0.0.1:${port}`,
      env: { AUTH_API_TIMEOUT_MS: '200' },
      clock: t.clock,
    })
    try {
      const session = await exchangeableSession(slow.app, user)
      const failed = await exchange(slow.app, { sessionId: session.id, exchangeToken: session.exchangeToken })
      expect(failed.statusCode).toBe(503)
      expect(failed.json().code).toBe('QR_AUTH_SESSION_ISSUER_UNAVAILABLE')
      expect(await isExchanged(session.id)).toBe(false)
    } finally {
      await slow.app.close()
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => hanging.close(resolve))
    }
  })

  it('spends the token for good when auth-api no longer knows the approving user', async () => {
    const gone = await registerUser(authApi)
    const session = await exchangeableSession(t.app, gone)
    await authApi.db.raw.query('delete from users where id = $1', [gone.userId])
    const response = await exchange(t.app, { sessionId: session.id, exchangeToken: session.exchangeToken })
    expect(response.statusCode).toBe(409)
    expect(response.json().code).toBe('QR_AUTH_APPROVER_NOT_FOUND')
    expect(await isExchanged(session.id)).toBe(true)
  })

  describe.runIf(process.env.TEST_DATABASE_URL)('on PostgreSQL', () => {
    let wide: DbHandle
    let racing: QrApp
    beforeAll(async () => {
      // A pool wide enough that the requests race on separate connections, opened before they start.
      wide = await createDb({ url: db.url, max: 20 })
      racing = await startQrApp(wide as TestDb, { authApiUrl: authApi.url, clock: t.clock })
    })
    afterAll(async () => {
      await racing?.app.close()
      await wide?.close()
    })

    it('lets exactly one of 100 concurrent exchanges of one token through; auth-api opens one session', async () => {
      const session = await exchangeableSession(racing.app, user)
      const before = await authApiSessionCount(user.userId)
      await openPoolConnections(wide, 20)
      const body = { sessionId: session.id, exchangeToken: session.exchangeToken }
      const responses = await Promise.all(Array.from({ length: 100 }, () => exchange(racing.app, body)))
      const succeeded = responses.filter((response) => response.statusCode === 200)
      const refused = responses.filter((response) => response.statusCode !== 200)
      expect(succeeded).toHaveLength(1)
      expect(new Set(refused.map((response) => `${response.statusCode} ${response.json().code}`))).toEqual(
        new Set(['409 QR_AUTH_EXCHANGE_TOKEN_USED']),
      )
      expect(await authApiSessionCount(user.userId)).toBe(before + 1)
      const grant = succeeded[0]?.json()
      const [opened] = await authApi.db.raw.query<{ id: string }>('select id from sessions where id = $1', [
        grant.sessionId,
      ])
      expect(opened?.id).toBe(grant.sessionId)
    })
  })
})
