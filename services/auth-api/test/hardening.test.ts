import { randomUUID } from 'node:crypto'
import { importSigningKey } from '@gatehouse/crypto'
import type { TestDb } from '@gatehouse/db-kit/testing'
import { revokedSessionsOf, SESSION_REVOKED_CHANNEL, signServiceToken } from '@gatehouse/service-kit'
import { Redis } from 'ioredis'
import { decodeProtectedHeader, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { bearer, login, me, PASSWORD, refresh, register } from './factories.ts'
import { INTERNAL_SECRET, openTestDb, startTestApp, type TestApp } from './fixtures.ts'

let db: TestDb
let t: TestApp

beforeAll(async () => {
  db = await openTestDb()
  t = await startTestApp(db, process.env.REDIS_URL ? { env: { REDIS_URL: process.env.REDIS_URL } } : {})
})
afterAll(async () => {
  await t?.app.close()
  await db?.close()
})

describe('access tokens (defect 7)', () => {
  it('refuses a token of ours that claims to be issued in the future or to live longer than tokens do', async () => {
    const user = await register(t.app)
    const { kid } = decodeProtectedHeader(user.accessToken)
    const [row] = await db.raw.query<{ private_jwk: Record<string, unknown> }>(
      'select private_jwk from signing_keys where retired_at is null',
    )
    const key = await importSigningKey(row!.private_jwk as never)
    const now = Math.floor(t.clock().getTime() / 1000)
    const sign = (iat: number, exp: number) =>
      new SignJWT({ sid: user.sessionId })
        .setProtectedHeader({ alg: 'EdDSA', kid: kid!, typ: 'at+jwt' })
        .setSubject(user.user.id)
        .setIssuer('gatehouse-auth-api')
        .setAudience('gatehouse')
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(key.privateKey)
    expect((await me(t.app, await sign(now, now + 600))).statusCode).toBe(200)
    for (const token of [
      await sign(now + 365 * 86_400, now + 365 * 86_400 + 600),
      await sign(now, Math.floor(Date.UTC(3000, 0, 1) / 1000)),
    ]) {
      const response = await me(t.app, token)
      expect(response.statusCode).toBe(401)
      expect(response.json().code).toBe('AUTH_API_INVALID_ACCESS_TOKEN')
    }
  })
})

describe('logout (defect 14)', () => {
  it('answers 204 without any credential, and again for an access token whose session has ended', async () => {
    const nothing = await t.app.inject({ method: 'POST', url: '/api/auth/logout' })
    expect(nothing.statusCode).toBe(204)
    const user = await register(t.app)
    for (let i = 0; i < 2; i++) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/auth/logout',
        headers: bearer(user.accessToken),
      })
      expect(response.statusCode).toBe(204)
    }
    expect((await me(t.app, user.accessToken)).statusCode).toBe(401)
  })
})

describe('internal lookups for the gateway (defects 6 and 10)', () => {
  const lookup = async (path: string, issuer = 'tenant-gateway') =>
    t.app.inject({
      method: 'GET',
      url: path,
      headers: {
        'x-internal-token': await signServiceToken(INTERNAL_SECRET, { issuer, audience: 'auth-api' }),
      },
    })

  it('says whether a user exists and whether a session is live, to the gateway only', async () => {
    const user = await register(t.app)
    expect((await lookup(`/internal/users/${user.user.id}`)).json()).toEqual({
      id: user.user.id,
      active: true,
    })
    expect((await lookup(`/internal/users/${randomUUID()}`)).statusCode).toBe(404)
    expect((await lookup(`/internal/sessions/${user.sessionId}`)).json()).toEqual({ active: true })
    await t.app.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(user.accessToken) })
    expect((await lookup(`/internal/sessions/${user.sessionId}`)).json()).toEqual({ active: false })
    expect((await lookup(`/internal/sessions/${randomUUID()}`)).json()).toEqual({ active: false })
    expect((await lookup(`/internal/users/${user.user.id}`, 'qr-auth')).statusCode).toBe(401)
    expect((await t.app.inject({ method: 'GET', url: `/internal/users/${user.user.id}` })).statusCode).toBe(
      401,
    )
  })
})

describe('discovery (first-time user papercut)', () => {
  it('serves OIDC discovery naming the issuer and the JWKS URL', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/.well-known/openid-configuration' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toMatchObject({
      issuer: 'gatehouse-auth-api',
      jwks_uri: 'http://127.0.0.1:8080/.well-known/jwks.json',
    })
  })
})

describe.runIf(process.env.REDIS_URL)('revoked sessions published on Redis (defect 6)', () => {
  let subscriber: Redis
  const heard: string[] = []
  beforeAll(async () => {
    subscriber = new Redis(process.env.REDIS_URL!)
    subscriber.on('message', (_channel: string, message: string) => heard.push(...revokedSessionsOf(message)))
    await subscriber.subscribe(SESSION_REVOKED_CHANNEL)
  })
  afterAll(() => subscriber?.disconnect())

  const heardOf = (sessionId: string) =>
    vi.waitFor(() => expect(heard).toContain(sessionId), { timeout: 1_000, interval: 10 })

  it('on logout, logout-all, session delete and refresh-token reuse', async () => {
    const user = await register(t.app)
    await t.app.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(user.accessToken) })
    await heardOf(user.sessionId)

    const other = await register(t.app)
    const second = (await login(t.app, other.email, PASSWORD)).json()
    await t.app.inject({ method: 'POST', url: '/api/auth/logout-all', headers: bearer(second.accessToken) })
    await heardOf(other.sessionId)
    await heardOf(second.sessionId)

    const third = await register(t.app)
    const device = (await login(t.app, third.email, PASSWORD)).json()
    await t.app.inject({
      method: 'DELETE',
      url: `/api/auth/sessions/${device.sessionId}`,
      headers: bearer(third.accessToken),
    })
    await heardOf(device.sessionId)

    const fourth = await register(t.app)
    await refresh(t.app, fourth.refreshToken)
    t.clock.advance(60 * 1000)
    expect((await refresh(t.app, fourth.refreshToken)).json().code).toBe('AUTH_API_TOKEN_REUSED')
    await heardOf(fourth.sessionId)
  })
})
