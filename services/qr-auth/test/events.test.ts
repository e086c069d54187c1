import { randomUUID } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { openEventStream } from './event-stream.ts'
import { codeIn, createSession, decide, scan } from './factories.ts'
import { openQrTestEnv, startQrApp } from './fixtures.ts'

const env = await openQrTestEnv({ env: { QR_EVENTS_HEARTBEAT_SECONDS: '1' } })
const { db, t } = env
const base = await t.app.listen({ port: 0, host: '127.0.0.1' })
afterAll(() => env.close())

function events(id: string, pollToken: string, viaQuery = false) {
  const url = `${base}/api/qr/sessions/${id}/events${viaQuery ? `?pollToken=${pollToken}` : ''}`
  return openEventStream(url, viaQuery ? {} : { 'x-qr-poll-token': pollToken })
}

describe('server-sent events for the desktop', () => {
  it('streams the status now and each change as it happens, then ends after the approval', async () => {
    const user = randomUUID()
    const session = await createSession(t.app)
    // EventSource cannot send headers: the poll token in the query works too.
    const stream = await events(session.id, session.pollToken, true)
    expect(stream.response.status).toBe(200)
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(stream.response.headers.get('cache-control')).toBe('no-store')
    expect(await stream.next()).toEqual({ retry: 2000 })
    expect(await stream.nextEvent()).toEqual({
      event: 'status',
      data: { id: session.id, status: 'pending', expiresAt: session.expiresAt },
    })

    expect((await scan(t.app, session.id, codeIn(session.qr.payload), user)).statusCode).toBe(200)
    // Arrives before anything else happens: the stream is live, not buffered to its end.
    expect((await stream.nextEvent())?.data?.status).toBe('scanned')
    expect((await decide(t.app, 'approve', session.id, user)).statusCode).toBe(200)
    const approved = await stream.nextEvent()
    expect(approved?.data).toEqual({ id: session.id, status: 'approved', expiresAt: session.expiresAt })
    // No secret travels on the stream: the token comes from a poll.
    expect(JSON.stringify(approved)).not.toContain('exchangeToken')
    expect(await stream.next()).toBeNull()
  })

  it("hears of another replica's changes and of expiry at the next watch tick", async () => {
    const replica = await startQrApp(db, { authApiUrl: 'http://127.0.0.1:1', clock: t.clock })
    try {
      const user = randomUUID()
      const session = await createSession(t.app)
      const stream = await events(session.id, session.pollToken)
      expect((await stream.nextEvent())?.data?.status).toBe('pending')
      await scan(replica.app, session.id, codeIn(session.qr.payload), user)
      expect((await stream.nextEvent())?.data?.status).toBe('scanned')
      t.clock.advance(120_000)
      expect((await stream.nextEvent())?.data?.status).toBe('expired')
      expect(await stream.next()).toBeNull()
    } finally {
      await replica.app.close()
    }
  })

  it('keeps a quiet stream alive with a comment line every heartbeat', async () => {
    const session = await createSession(t.app)
    const stream = await events(session.id, session.pollToken)
    await stream.nextEvent()
    expect(await stream.next()).toEqual({ comment: 'keep-alive' })
    await stream.close()
  })

  it('ends at once for a session that is already final', async () => {
    const user = randomUUID()
    const session = await createSession(t.app)
    await scan(t.app, session.id, codeIn(session.qr.payload), user)
    await decide(t.app, 'reject', session.id, user)
    const stream = await events(session.id, session.pollToken)
    expect((await stream.nextEvent())?.data?.status).toBe('rejected')
    expect(await stream.next()).toBeNull()
  })

  it('ends open streams when the service shuts down, so the close does not hang', async () => {
    const closing = await startQrApp(db, { authApiUrl: 'http://127.0.0.1:1', clock: t.clock })
    const closingBase = await closing.app.listen({ port: 0, host: '127.0.0.1' })
    const session = await createSession(closing.app)
    const stream = await openEventStream(`${closingBase}/api/qr/sessions/${session.id}/events`, {
      'x-qr-poll-token': session.pollToken,
    })
    await stream.nextEvent()
    const started = performance.now()
    await closing.app.close()
    expect(await stream.next()).toBeNull()
    expect(performance.now() - started).toBeLessThan(2000)
  })
})
