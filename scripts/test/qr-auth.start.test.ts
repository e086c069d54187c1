import { describe, expect, it } from 'vitest'
import { openEventStream } from '../../services/qr-auth/test/event-stream.ts'
import { decodeQrPng } from '../../services/qr-auth/test/qr-decode.ts'
import { call, startPlatform } from './platform.ts'

const DESKTOP = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/131.0' }

describe('QR login across the platform (pnpm start, every service its own process)', () => {
  it('logs a desktop in with a phone through the gateway: PNG, scan, approve, poll and SSE, exchange', async () => {
    const platform = await startPlatform()
    const { gateway } = platform
    try {
      const password = 'Correct-Horse-9-Battery'
      const registered = await call(gateway, 'POST', '/api/auth/register', {
        body: { email: 'phone@example.com', name: 'Phone', password, confirmPassword: password },
      })
      expect(registered.status).toBe(201)
      const phone = { authorization: `Bearer ${registered.body.accessToken}` }
      const userId = registered.body.user.id as string

      // The desktop, not signed in, shows a QR; the phone's camera decodes it.
      const created = await call(gateway, 'POST', '/api/qr/sessions', { headers: DESKTOP })
      expect(created.status).toBe(201)
      const { id, pollToken } = created.body
      const desktop = { ...DESKTOP, 'x-qr-poll-token': pollToken }
      const png = await fetch(`${gateway}/api/qr/sessions/${id}/qr.png`, { headers: desktop })
      expect(png.status).toBe(200)
      expect(png.headers.get('content-type')).toBe('image/png')
      expect(png.headers.get('cache-control')).toBe('no-store')
      const payload = decodeQrPng(Buffer.from(await png.arrayBuffer()))
      expect(payload).toBe(created.body.qr.payload)
      const code = new URL(payload).searchParams.get('code')

      expect((await call(gateway, 'GET', `/api/qr/sessions/${id}`, { headers: desktop })).body.status).toBe(
        'pending',
      )
      // Only a signed-in phone scans; a context header sent by the client is stripped by the gateway.
      const anonymous = await call(gateway, 'POST', `/api/qr/sessions/${id}/scan`, {
        body: { code },
        headers: { 'x-gatehouse-context': 'forged' },
      })
      expect(anonymous.status).toBe(401)
      expect(anonymous.body.code).toBe('QR_AUTH_LOGIN_REQUIRED')
      const scanned = await call(gateway, 'POST', `/api/qr/sessions/${id}/scan`, {
        body: { code },
        headers: phone,
      })
      expect(scanned.status).toBe(200)
      expect(scanned.body.requester).toMatchObject({ userAgent: DESKTOP['user-agent'], ip: '127.0.0.1' })
      expect((await call(gateway, 'POST', `/api/qr/sessions/${id}/approve`, { headers: phone })).status).toBe(
        200,
      )

      const approved = await call(gateway, 'GET', `/api/qr/sessions/${id}`, { headers: desktop })
      expect(approved.body.status).toBe('approved')
      const exchanged = await call(gateway, 'POST', '/api/qr/exchange', {
        body: { sessionId: id, exchangeToken: approved.body.exchangeToken },
        headers: DESKTOP,
      })
      expect(exchanged.status).toBe(200)
      const grant = exchanged.body
      const me = await call(gateway, 'GET', '/api/auth/me', {
        headers: { authorization: `Bearer ${grant.accessToken}` },
      })
      expect(me.status).toBe(200)
      expect(me.body.user.id).toBe(userId)
      const sessions = await call(gateway, 'GET', '/api/auth/sessions', { headers: phone })
      const qrSession = sessions.body.sessions.find(
        (session: { id: string }) => session.id === grant.sessionId,
      )
      expect(qrSession).toMatchObject({ userAgent: DESKTOP['user-agent'], ip: '127.0.0.1', current: false })
      const replay = await call(gateway, 'POST', '/api/qr/exchange', {
        body: { sessionId: id, exchangeToken: approved.body.exchangeToken },
      })
      expect(replay.body.code).toBe('QR_AUTH_EXCHANGE_TOKEN_USED')

      // Another desktop listens on server-sent events through the gateway: each change arrives as it happens.
      const second = await call(gateway, 'POST', '/api/qr/sessions', { headers: DESKTOP })
      const secondDesktop = { 'x-qr-poll-token': second.body.pollToken }
      const stream = await openEventStream(
        `${gateway}/api/qr/sessions/${second.body.id}/events`,
        secondDesktop,
      )
      expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
      expect((await stream.nextEvent())?.data?.status).toBe('pending')
      const secondCode = new URL(second.body.qr.payload).searchParams.get('code')
      await call(gateway, 'POST', `/api/qr/sessions/${second.body.id}/scan`, {
        body: { code: secondCode },
        headers: phone,
      })
      expect((await stream.nextEvent())?.data?.status).toBe('scanned')
      await call(gateway, 'POST', `/api/qr/sessions/${second.body.id}/approve`, { headers: phone })
      expect((await stream.nextEvent())?.data?.status).toBe('approved')
      expect(await stream.next()).toBeNull()
      const token = await call(gateway, 'GET', `/api/qr/sessions/${second.body.id}`, {
        headers: secondDesktop,
      })
      const secondGrant = await call(gateway, 'POST', '/api/qr/exchange', {
        body: { sessionId: second.body.id, exchangeToken: token.body.exchangeToken },
        headers: DESKTOP,
      })
      expect(secondGrant.status).toBe(200)
      expect(secondGrant.body.user.id).toBe(userId)
    } finally {
      expect(await platform.stop()).toBe(0)
    }
  }, 180_000)
})
