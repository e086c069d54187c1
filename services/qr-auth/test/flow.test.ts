import { eq } from 'drizzle-orm'
import { afterAll, describe, expect, it } from 'vitest'
import { authSessions } from '../src/db/schema/index.ts'
import { digestOf } from '../src/desktop-secrets.ts'
import {
  codeIn,
  createSession,
  DESKTOP_USER_AGENT,
  decide,
  exchange,
  poll,
  registerUser,
  scan,
  sessionsOf,
} from './factories.ts'
import { type AuthApi, openQrTestEnv } from './fixtures.ts'
import { decodeQrPng } from './qr-decode.ts'

const env = await openQrTestEnv({ authApi: true })
const { db, t } = env
const authApi = env.authApi as AuthApi
afterAll(() => env.close())

describe('QR login, desktop to phone and back', () => {
  it('gives the desktop the grant of a password login for the user who scanned and approved', async () => {
    const phone = await registerUser(authApi)
    const desktopHeaders = { 'user-agent': DESKTOP_USER_AGENT, 'x-forwarded-for': '198.51.100.7' }
    const created = await t.app.inject({ method: 'POST', url: '/api/qr/sessions', headers: desktopHeaders })
    expect(created.statusCode).toBe(201)
    expect(created.headers['cache-control']).toBe('no-store')
    const session = created.json()
    expect(session).toMatchObject({ status: 'pending', interval: 5 })
    expect(new Date(session.expiresAt).getTime() - t.clock().getTime()).toBe(120_000)
    const stored = await db.db.select().from(authSessions).where(eq(authSessions.id, session.id))
    expect(stored[0]).toMatchObject({
      requesterIp: '198.51.100.7',
      requesterUserAgent: DESKTOP_USER_AGENT,
      pollTokenHash: digestOf(session.pollToken),
      isExchanged: false,
    })

    // The desktop shows the QR; the phone's camera reads it.
    const png = await t.app.inject({
      method: 'GET',
      url: `/api/qr/sessions/${session.id}/qr.png`,
      headers: { 'x-qr-poll-token': session.pollToken },
    })
    expect(png.statusCode).toBe(200)
    expect(png.headers['content-type']).toBe('image/png')
    const payload = decodeQrPng(png.rawPayload)
    expect(payload).toBe(session.qr.payload)
    const url = new URL(payload)
    expect(url.searchParams.get('sid')).toBe(session.id)

    const pending = await poll(t.app, session.id, session.pollToken)
    expect(pending.json()).toMatchObject({ status: 'pending' })
    expect(pending.json().exchangeToken).toBeUndefined()

    const scanned = await scan(t.app, session.id, codeIn(payload), phone.userId)
    expect(scanned.statusCode).toBe(200)
    // The phone sees which desktop is asking before it approves.
    expect(scanned.json()).toMatchObject({
      status: 'scanned',
      requester: { ip: '198.51.100.7', userAgent: DESKTOP_USER_AGENT },
    })
    expect((await decide(t.app, 'approve', session.id, phone.userId)).json()).toEqual({
      id: session.id,
      status: 'approved',
    })

    // The first poll after the approval is answered at once, whenever the last one was.
    const approved = await poll(t.app, session.id, session.pollToken)
    expect(approved.statusCode).toBe(200)
    const { exchangeToken } = approved.json()
    expect(approved.json().status).toBe('approved')
    expect(exchangeToken).toMatch(/^[0-9a-f]{64}$/)
    const [row] = await db.db.select().from(authSessions).where(eq(authSessions.id, session.id))
    expect(row?.exchangeToken).toBe(digestOf(exchangeToken))
    expect(JSON.stringify(row)).not.toContain(exchangeToken)

    const exchanged = await exchange(
      t.app,
      { sessionId: session.id, exchangeToken },
      { ...desktopHeaders, 'x-forwarded-for': '198.51.100.8' },
    )
    expect(exchanged.statusCode).toBe(200)
    expect(exchanged.headers['cache-control']).toBe('no-store')
    const grant = exchanged.json()
    expect(grant).toMatchObject({ tokenType: 'Bearer', user: { id: phone.userId } })
    expect(grant.refreshToken).toEqual(expect.any(String))

    const me = await authApi.app.inject({
      method: 'GET',
      url: '/api/auth/me',
      headers: { authorization: `Bearer ${grant.accessToken}` },
    })
    expect(me.statusCode).toBe(200)
    expect(me.json()).toMatchObject({ user: { id: phone.userId }, sessionId: grant.sessionId })
    const desktopSession = (await sessionsOf(authApi, phone.accessToken)).find(
      (s) => s.id === grant.sessionId,
    )
    expect(desktopSession).toMatchObject({ userAgent: DESKTOP_USER_AGENT, ip: '198.51.100.8' })

    t.clock.advance(5000)
    expect((await poll(t.app, session.id, session.pollToken)).json()).toMatchObject({ status: 'exchanged' })
    // An <img src> sends the poll token in the query: the request is logged, the token is not.
    await t.app.inject({
      method: 'GET',
      url: `/api/qr/sessions/${session.id}/qr.svg?pollToken=${session.pollToken}`,
    })
    expect(t.logs.lines().some((line) => line.msg === 'request completed')).toBe(true)
    for (const secret of [session.pollToken, exchangeToken, codeIn(payload), grant.refreshToken]) {
      expect(t.logs.text()).not.toContain(secret)
    }
  })

  it('tells the desktop when the phone rejects, and the session never yields a login', async () => {
    const phone = await registerUser(authApi)
    const session = await createSession(t.app)
    await scan(t.app, session.id, codeIn(session.qr.payload), phone.userId)
    expect((await decide(t.app, 'reject', session.id, phone.userId)).json().status).toBe('rejected')
    const polled = await poll(t.app, session.id, session.pollToken)
    expect(polled.json()).toMatchObject({ status: 'rejected' })
    expect(polled.json().exchangeToken).toBeUndefined()
  })
})
