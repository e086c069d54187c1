import { randomUUID } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { codeIn, createSession, decide, poll, scan } from './factories.ts'
import { openQrTestEnv } from './fixtures.ts'
import { decodeQrPng, decodeQrSvg } from './qr-decode.ts'

const env = await openQrTestEnv()
const { t } = env
const phoneUser = randomUUID()
afterAll(() => env.close())

function image(id: string, kind: 'svg' | 'png', headers: Record<string, string>, query = '') {
  return t.app.inject({ method: 'GET', url: `/api/qr/sessions/${id}/qr.${kind}${query}`, headers })
}

function refresh(id: string, pollToken: string) {
  return t.app.inject({
    method: 'POST',
    url: `/api/qr/sessions/${id}/refresh`,
    headers: { 'x-qr-poll-token': pollToken },
  })
}

describe('the desktop', () => {
  it('renders the payload as SVG and PNG that a QR decoder reads back, never cached', async () => {
    const session = await createSession(t.app)
    const auth = { 'x-qr-poll-token': session.pollToken }
    const svg = await image(session.id, 'svg', auth)
    expect(svg.statusCode).toBe(200)
    expect(svg.headers['content-type']).toBe('image/svg+xml; charset=utf-8')
    expect(svg.headers['cache-control']).toBe('no-store')
    expect(decodeQrSvg(svg.body)).toBe(session.qr.payload)
    // <img src> cannot send a header: the poll token may come in the query.
    const png = await image(session.id, 'png', {}, `?pollToken=${session.pollToken}`)
    expect(png.statusCode).toBe(200)
    expect(png.headers['cache-control']).toBe('no-store')
    expect(decodeQrPng(png.rawPayload)).toBe(session.qr.payload)
    const payload = new URL(session.qr.payload)
    expect(`${payload.origin}${payload.pathname}`).toBe(t.config.QR_APPROVE_URL)
    expect(payload.searchParams.get('sid')).toBe(session.id)
    expect(codeIn(session.qr.payload)).toMatch(/^[\w-]{22}$/)
  })

  it('reads nothing of a session without its poll token, and says the same for unknown ids', async () => {
    const session = await createSession(t.app)
    const other = await createSession(t.app)
    const attempts = {
      none: {},
      wrong: { 'x-qr-poll-token': 'not-the-token' },
      sameLengthWrong: { 'x-qr-poll-token': `${session.pollToken.slice(0, -1)}x` },
      otherSessionsToken: { 'x-qr-poll-token': other.pollToken },
    }
    for (const [name, headers] of Object.entries(attempts)) {
      for (const url of [
        `/api/qr/sessions/${session.id}`,
        `/api/qr/sessions/${session.id}/qr.svg`,
        `/api/qr/sessions/${session.id}/qr.png`,
        `/api/qr/sessions/${session.id}/events`,
      ]) {
        const response = await t.app.inject({ method: 'GET', url, headers })
        expect([name, url, response.statusCode]).toEqual([name, url, 401])
        expect(response.headers['content-type']).toContain('application/problem+json')
        expect(response.json().code).toBe('QR_AUTH_POLL_TOKEN_INVALID')
        expect(response.body).not.toContain('pending')
      }
      const rotated = await t.app.inject({
        method: 'POST',
        url: `/api/qr/sessions/${session.id}/refresh`,
        headers,
      })
      expect(rotated.json().code).toBe('QR_AUTH_POLL_TOKEN_INVALID')
    }
    const unknown = await poll(t.app, randomUUID(), session.pollToken)
    expect(unknown.statusCode).toBe(401)
    expect(unknown.json().code).toBe('QR_AUTH_POLL_TOKEN_INVALID')
    // Nothing was counted as a poll: the rightful desktop is not slowed down by them.
    expect((await poll(t.app, session.id, session.pollToken)).statusCode).toBe(200)
  })

  it('answers slow_down (RFC 8628) to a poll before the interval, and the interval grows by 5 s', async () => {
    const session = await createSession(t.app)
    expect((await poll(t.app, session.id, session.pollToken)).statusCode).toBe(200)
    t.clock.advance(4_000)
    const early = await poll(t.app, session.id, session.pollToken)
    expect(early.statusCode).toBe(429)
    expect(early.headers['content-type']).toContain('application/problem+json')
    expect(early.headers['retry-after']).toBe('10')
    expect(early.json()).toMatchObject({ code: 'QR_AUTH_SLOW_DOWN', error: 'slow_down', interval: 10 })
    t.clock.advance(5_000)
    // 9 s after the last accepted poll: still too early for the grown interval.
    expect((await poll(t.app, session.id, session.pollToken)).json()).toMatchObject({ interval: 15 })
    t.clock.advance(15_000)
    const later = await poll(t.app, session.id, session.pollToken)
    expect(later.statusCode).toBe(200)
    expect(later.json()).toMatchObject({ status: 'pending', interval: 15 })
  })

  it('hands out the exchange token in the first poll after the approval only', async () => {
    const session = await createSession(t.app)
    await poll(t.app, session.id, session.pollToken)
    await scan(t.app, session.id, codeIn(session.qr.payload), phoneUser)
    t.clock.advance(5_000)
    expect((await poll(t.app, session.id, session.pollToken)).json()).toMatchObject({ status: 'scanned' })
    await decide(t.app, 'approve', session.id, phoneUser)
    // At once, although the last poll was just now: the approval is news worth answering.
    const first = await poll(t.app, session.id, session.pollToken)
    expect(first.json()).toMatchObject({
      status: 'approved',
      exchangeToken: expect.stringMatching(/^[0-9a-f]{64}$/),
    })
    t.clock.advance(5_000)
    const second = await poll(t.app, session.id, session.pollToken)
    expect(second.statusCode).toBe(200)
    expect(second.json().status).toBe('approved')
    expect(second.json().exchangeToken).toBeUndefined()
  })

  it('rotates the code while nobody has scanned it; a rotated-out code can no longer be scanned', async () => {
    const session = await createSession(t.app)
    const firstCode = codeIn(session.qr.payload)
    const rotated = await refresh(session.id, session.pollToken)
    expect(rotated.statusCode).toBe(200)
    const { qr } = rotated.json()
    expect(codeIn(qr.payload)).not.toBe(firstCode)
    expect(new Date(qr.expiresAt).getTime() - t.clock().getTime()).toBe(30_000)
    const svg = await image(session.id, 'svg', { 'x-qr-poll-token': session.pollToken })
    expect(decodeQrSvg(svg.body)).toBe(qr.payload)

    const stale = await scan(t.app, session.id, firstCode, phoneUser)
    expect(stale.statusCode).toBe(403)
    expect(stale.json().code).toBe('QR_AUTH_CODE_INVALID')
    expect((await scan(t.app, session.id, codeIn(qr.payload), phoneUser)).statusCode).toBe(200)

    const afterScan = await refresh(session.id, session.pollToken)
    expect(afterScan.statusCode).toBe(409)
    expect(afterScan.json().code).toBe('QR_AUTH_SESSION_NOT_PENDING')
    const imageAfterScan = await image(session.id, 'png', { 'x-qr-poll-token': session.pollToken })
    expect(imageAfterScan.json().code).toBe('QR_AUTH_SESSION_NOT_PENDING')
  })

  it('lets a code expire after 30 s unless refreshed, and the session after 2 minutes', async () => {
    const session = await createSession(t.app)
    const auth = { 'x-qr-poll-token': session.pollToken }
    t.clock.advance(30_000)
    const expiredImage = await image(session.id, 'png', auth)
    expect(expiredImage.statusCode).toBe(410)
    expect(expiredImage.json().code).toBe('QR_AUTH_CODE_EXPIRED')
    const late = await scan(t.app, session.id, codeIn(session.qr.payload), phoneUser)
    expect(late.statusCode).toBe(410)
    expect(late.json().code).toBe('QR_AUTH_CODE_EXPIRED')

    const fresh = await refresh(session.id, session.pollToken)
    expect((await image(session.id, 'png', auth)).statusCode).toBe(200)
    t.clock.advance(85_000)
    // The last code never outlives its session.
    expect(new Date(fresh.json().qr.expiresAt).getTime()).toBeLessThanOrEqual(
      new Date(session.expiresAt).getTime(),
    )
    t.clock.advance(5_000)
    expect((await poll(t.app, session.id, session.pollToken)).json()).toMatchObject({ status: 'expired' })
    const tooLate = await refresh(session.id, session.pollToken)
    expect(tooLate.statusCode).toBe(410)
    expect(tooLate.json().code).toBe('QR_AUTH_SESSION_EXPIRED')
    expect((await image(session.id, 'svg', auth)).json().code).toBe('QR_AUTH_SESSION_EXPIRED')
  })
})
