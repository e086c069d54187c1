import { randomUUID } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { createSession, decide, phoneHeadersFor } from './factories.ts'
import { openQrTestEnv } from './fixtures.ts'

const env = await openQrTestEnv()
const { db, t } = env
afterAll(() => env.close())

const countSessions = async () =>
  Number((await db.raw.query<{ n: number }>('select count(*)::int as n from auth_sessions'))[0]?.n)

type Case = {
  name: string
  method: 'GET' | 'POST'
  url: string
  headers?: Record<string, string>
  payload?: string | object
  status: number
  code: string
}

describe('bad input', () => {
  it('gets a 4xx problem+json with a stable code on every route, never a 500, and stores nothing', async () => {
    const session = await createSession(t.app)
    const phone = await phoneHeadersFor(randomUUID())
    const json = { 'content-type': 'application/json' }
    const huge = { code: 'x'.repeat(100 * 1024) }
    const id = session.id
    const cases: Case[] = [
      {
        name: 'poll, id not a uuid',
        method: 'GET',
        url: '/api/qr/sessions/123',
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'png, id not a uuid',
        method: 'GET',
        url: '/api/qr/sessions/x/qr.png',
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'events, id not a uuid',
        method: 'GET',
        url: "/api/qr/sessions/'--/events",
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'refresh, id not a uuid',
        method: 'POST',
        url: '/api/qr/sessions/1/refresh',
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'scan, id not a uuid',
        method: 'POST',
        url: '/api/qr/sessions/1/scan',
        headers: phone,
        payload: { code: 'a' },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'poll token far too long',
        method: 'GET',
        url: `/api/qr/sessions/${id}`,
        headers: { 'x-qr-poll-token': 'x'.repeat(500) },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'scan without code',
        method: 'POST',
        url: `/api/qr/sessions/${id}/scan`,
        headers: phone,
        payload: {},
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'scan, code an object',
        method: 'POST',
        url: `/api/qr/sessions/${id}/scan`,
        headers: phone,
        payload: { code: { $ne: null } },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'scan, huge body',
        method: 'POST',
        url: `/api/qr/sessions/${id}/scan`,
        headers: phone,
        payload: huge,
        status: 413,
        code: 'BODY_TOO_LARGE',
      },
      {
        name: 'create, huge body',
        method: 'POST',
        url: '/api/qr/sessions',
        headers: json,
        payload: JSON.stringify(huge),
        status: 413,
        code: 'BODY_TOO_LARGE',
      },
      {
        name: 'create, text body',
        method: 'POST',
        url: '/api/qr/sessions',
        headers: { 'content-type': 'text/plain' },
        payload: 'hello',
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
      {
        name: 'create, malformed JSON',
        method: 'POST',
        url: '/api/qr/sessions',
        headers: json,
        payload: '{"a":',
        status: 400,
        code: 'MALFORMED_JSON',
      },
      {
        name: 'create, an array',
        method: 'POST',
        url: '/api/qr/sessions',
        headers: json,
        payload: '[1]',
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'exchange, form body',
        method: 'POST',
        url: '/api/qr/exchange',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'sessionId=1',
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
      {
        name: 'exchange, no body',
        method: 'POST',
        url: '/api/qr/exchange',
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'exchange, session id not a uuid',
        method: 'POST',
        url: '/api/qr/exchange',
        payload: { sessionId: 'abc', exchangeToken: 'x' },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'exchange, token far too long',
        method: 'POST',
        url: '/api/qr/exchange',
        payload: { sessionId: id, exchangeToken: 'x'.repeat(10_000) },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'exchange, huge body',
        method: 'POST',
        url: '/api/qr/exchange',
        payload: huge,
        status: 413,
        code: 'BODY_TOO_LARGE',
      },
      {
        name: 'approve, text body',
        method: 'POST',
        url: `/api/qr/sessions/${id}/approve`,
        headers: { ...phone, 'content-type': 'text/plain' },
        payload: 'yes',
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
      { name: 'unknown route', method: 'GET', url: '/api/qr/nothing-here', status: 404, code: 'NOT_FOUND' },
      { name: 'wrong method', method: 'GET', url: '/api/qr/exchange', status: 404, code: 'NOT_FOUND' },
      {
        name: 'cleanup, no secret',
        method: 'POST',
        url: '/api/admin/cleanup-qr-sessions',
        status: 401,
        code: 'CRON_SECRET_REQUIRED',
      },
    ]
    const before = await countSessions()
    for (const { name, status, code, ...request } of cases) {
      const response = await t.app.inject(request)
      expect([name, response.statusCode]).toEqual([name, status])
      expect([name, response.headers['content-type']]).toEqual([
        name,
        'application/problem+json; charset=utf-8',
      ])
      const body = response.json()
      expect([name, body.code]).toEqual([name, `QR_AUTH_${code}`])
      expect(body.requestId).toEqual(expect.any(String))
      expect(response.body).not.toMatch(/at .*\.ts:\d+/)
    }
    const invalid = await t.app.inject({
      method: 'POST',
      url: `/api/qr/sessions/${id}/scan`,
      headers: phone,
      payload: {},
    })
    expect(invalid.json().errors).toEqual([{ path: '/body/code', message: expect.any(String) }])
    expect(await countSessions()).toBe(before)
    expect((await decide(t.app, 'approve', id, randomUUID())).json().code).toBe('QR_AUTH_SESSION_NOT_SCANNED')
  })

  it('creates a session with no body, an empty object or null', async () => {
    for (const payload of [undefined, {}, 'null']) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/qr/sessions',
        ...(payload === undefined ? {} : { payload, headers: { 'content-type': 'application/json' } }),
      })
      expect(response.statusCode).toBe(201)
    }
  })
})
