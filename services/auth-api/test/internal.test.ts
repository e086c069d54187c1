import { randomUUID } from 'node:crypto'
import type { TestDb } from '@gatehouse/db-kit/testing'
import { signServiceToken } from '@gatehouse/service-kit'
import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditLogs } from '../src/db/schema/index.ts'
import { bearer, me, refresh, register } from './factories.ts'
import { closeTestApp, INTERNAL_SECRET, openTestApp, startTestApp, type TestApp } from './fixtures.ts'

let db: TestDb
let t: TestApp

beforeAll(async () => {
  ;({ db, t } = await openTestApp())
})
afterAll(() => closeTestApp(t, db))

function openSessionFor(body: object, token?: string) {
  return t.app.inject({
    method: 'POST',
    url: '/internal/sessions',
    headers: token ? { 'x-internal-token': token } : {},
    payload: body,
  })
}

const qrToken = () => signServiceToken(INTERNAL_SECRET, { issuer: 'qr-auth', audience: 'auth-api' })

describe('POST /internal/sessions (for qr-auth)', () => {
  it("opens a session like a password login, visible in the user's session list", async () => {
    const user = await register(t.app)
    const response = await openSessionFor(
      { userId: user.user.id, userAgent: 'Mozilla/5.0 (Windows NT 10.0) Chrome/128.0', ip: '192.0.2.44' },
      await qrToken(),
    )
    expect(response.statusCode).toBe(201)
    const grant = response.json()
    expect(grant.user).toEqual(user.user)
    expect((await me(t.app, grant.accessToken)).statusCode).toBe(200)
    expect((await refresh(t.app, grant.refreshToken)).statusCode).toBe(200)

    const list = await t.app.inject({
      method: 'GET',
      url: '/api/auth/sessions',
      headers: bearer(user.accessToken),
    })
    const desktop = list.json().sessions.find((session: { id: string }) => session.id === grant.sessionId)
    expect(desktop).toMatchObject({ device: 'Chrome on Windows', ip: '192.0.2.44', current: false })
    const [event] = await db.db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.sessionId, grant.sessionId), eq(auditLogs.eventType, 'LOGIN_SUCCESS')))
    expect(event?.details).toEqual({ method: 'qr-auth' })
  })

  it('refuses callers without a valid service token for auth-api from qr-auth', async () => {
    const user = await register(t.app)
    const body = { userId: user.user.id }
    const candidates = {
      none: undefined,
      garbage: 'nonsense',
      wrongIssuer: await signServiceToken(INTERNAL_SECRET, {
        issuer: 'tenant-gateway',
        audience: 'auth-api',
      }),
      wrongAudience: await signServiceToken(INTERNAL_SECRET, { issuer: 'qr-auth', audience: 'metering' }),
      wrongSecret: await signServiceToken('another-secret-of-at-least-32-characters', {
        issuer: 'qr-auth',
        audience: 'auth-api',
      }),
      userAccessToken: user.accessToken,
    }
    for (const [name, token] of Object.entries(candidates)) {
      const response = await openSessionFor(body, token)
      expect([name, response.statusCode]).toEqual([name, 401])
      expect(response.json().code).toBe('AUTH_API_INTERNAL_AUTH_REQUIRED')
    }
  })

  it('answers 404 for an unknown user and 400 for a malformed body', async () => {
    const token = await qrToken()
    expect((await openSessionFor({ userId: randomUUID() }, token)).statusCode).toBe(404)
    const invalid = await openSessionFor({ userId: 'me', ip: 'not-an-ip' }, token)
    expect(invalid.statusCode).toBe(400)
    expect(invalid.json().errors.map((e: { path: string }) => e.path)).toContain('/body/userId')
  })

  it('refuses everyone when INTERNAL_SECRET is not configured', async () => {
    const bare = await startTestApp(db, { env: { INTERNAL_SECRET: '' } })
    const user = await register(bare.app)
    const response = await bare.app.inject({
      method: 'POST',
      url: '/internal/sessions',
      headers: { 'x-internal-token': await qrToken() },
      payload: { userId: user.user.id },
    })
    expect(response.statusCode).toBe(401)
    expect(response.json().code).toBe('AUTH_API_INTERNAL_AUTH_REQUIRED')
    await bare.app.close()
  })

  it("verifies the gateway's signed caller context when one is sent, and refuses a forged one", async () => {
    const forged = await t.app.inject({
      method: 'GET',
      url: '/api/auth/health',
      headers: { 'x-gatehouse-context': 'forged.context.token' },
    })
    expect(forged.statusCode).toBe(401)
    expect((await t.app.inject({ method: 'GET', url: '/api/auth/health' })).statusCode).toBe(200)
  })
})
