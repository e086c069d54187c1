import { randomUUID } from 'node:crypto'
import type { DbHandle } from '@gatehouse/db-kit'
import type { TestDb } from '@gatehouse/db-kit/testing'
import { createTestClock, publishRevokedSessions, type ServiceInstance } from '@gatehouse/service-kit'
import { Redis } from 'ioredis'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createTenant, userOf } from './factories.ts'
import {
  type AuthStub,
  bearer,
  gateway,
  openTestDb,
  REDIS_URL,
  secondHandle,
  startAuthStub,
  TEST_START,
} from './fixtures.ts'

let db: TestDb
let second: { handle: DbHandle; close: () => Promise<void> }
let auth: AuthStub

beforeAll(async () => {
  db = await openTestDb()
  second = await secondHandle(db)
  auth = await startAuthStub()
})

afterAll(async () => {
  await second?.close()
  await auth?.close()
  await db?.close()
})

const tenants = (app: ServiceInstance, token: string) =>
  app.inject({ method: 'GET', url: '/api/tenants', headers: bearer(token) })

describe('user tokens are checked like auth-api checks them (defect 7)', () => {
  let app: ServiceInstance
  beforeAll(async () => {
    app = await gateway({ db, auth })
  })
  afterAll(async () => app?.close())

  it('refuses tokens without typ at+jwt, kid or sid, dated in the future or living longer than tokens do', async () => {
    const userId = randomUUID()
    await auth.tokenFor(userId) // auth-api knows the user
    const now = Math.floor(Date.now() / 1000)
    const sign = (
      header: Record<string, unknown>,
      claims: Record<string, unknown> = {},
      times = { iat: now, exp: now + 600 },
    ) =>
      new SignJWT({ sid: randomUUID(), ...claims })
        .setProtectedHeader({ alg: 'EdDSA', ...header })
        .setSubject(userId)
        .setIssuer('gatehouse-auth-api')
        .setAudience('gatehouse')
        .setIssuedAt(times.iat)
        .setExpirationTime(times.exp)
        .sign(auth.key.privateKey)
    const ours = { kid: auth.key.kid, typ: 'at+jwt' }
    const bad: Record<string, string> = {
      typJwt: await sign({ ...ours, typ: 'JWT' }),
      noTyp: await sign({ kid: auth.key.kid }),
      noKid: await sign({ typ: 'at+jwt' }),
      noSid: await sign(ours, { sid: undefined }),
      subNotAUser: await new SignJWT({ sid: randomUUID() })
        .setProtectedHeader({ alg: 'EdDSA', ...ours })
        .setSubject('not-a-uuid')
        .setIssuer('gatehouse-auth-api')
        .setAudience('gatehouse')
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .sign(auth.key.privateKey),
      issuedNextYear: await sign(ours, {}, { iat: now + 365 * 86_400, exp: now + 365 * 86_400 + 600 }),
      expiresInYear3000: await sign(ours, {}, { iat: now, exp: Math.floor(Date.UTC(3000, 0, 1) / 1000) }),
    }
    for (const [name, token] of Object.entries(bad)) {
      const response = await tenants(app, token)
      expect([name, response.statusCode]).toEqual([name, 401])
      expect(response.json().code).toBe('TENANT_GATEWAY_ACCESS_TOKEN_INVALID')
      expect(response.headers['www-authenticate']).toBe('Bearer realm="gatehouse"')
    }
    expect((await tenants(app, await sign(ours))).statusCode).toBe(200)
  })
})

describe('revoked sessions at the gateway (defect 6)', () => {
  it('without Redis: two replicas refuse a revoked session’s token once their cached status (KEY_CACHE_TTL_MS) is stale', async () => {
    const clock = createTestClock(TEST_START)
    const config = { KEY_CACHE_TTL_MS: '5000' }
    const a = await gateway({ db, auth, clock, config })
    const b = await gateway({ db: second.handle, auth, clock, config })
    try {
      const sessionId = randomUUID()
      const token = await auth.tokenFor(randomUUID(), { now: clock(), sessionId })
      expect((await tenants(a, token)).statusCode).toBe(200)
      expect((await tenants(b, token)).statusCode).toBe(200)
      auth.endSession(sessionId) // logout-all at auth-api
      clock.advance(4_999)
      // Within the bound each replica still trusts its cached answer.
      expect((await tenants(a, token)).statusCode).toBe(200)
      clock.advance(1)
      for (const replica of [a, b]) {
        const refused = await tenants(replica, token)
        expect(refused.statusCode).toBe(401)
        expect(refused.json().code).toBe('TENANT_GATEWAY_ACCESS_TOKEN_INVALID')
      }
      // Nor can it create API keys (the window the issue found open for 15 minutes).
      const tenantId = await createTenant(a, await userOf(auth, clock()))
      const key = await a.inject({
        method: 'POST',
        url: `/api/tenants/${tenantId}/keys`,
        headers: bearer(token),
        payload: { name: 'after-logout' },
      })
      expect(key.statusCode).toBe(401)
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })

  it('asks auth-api about a session once per KEY_CACHE_TTL_MS, not on every request', async () => {
    const clock = createTestClock(TEST_START)
    const app = await gateway({ db, auth, clock, config: { KEY_CACHE_TTL_MS: '5000' } })
    try {
      const token = await auth.tokenFor(randomUUID(), { now: clock() })
      const before = auth.sessionLookups()
      for (let i = 0; i < 5; i++) expect((await tenants(app, token)).statusCode).toBe(200)
      expect(auth.sessionLookups() - before).toBe(1)
    } finally {
      await app.close()
    }
  })

  it('answers 503, not 200, when auth-api cannot say whether the session is live', async () => {
    const app = await gateway({ db, auth, config: { AUTH_INTERNAL_URL: 'http://127.0.0.1:1' } })
    try {
      const response = await tenants(app, await auth.tokenFor(randomUUID()))
      expect(response.statusCode).toBe(503)
      expect(response.json().code).toBe('TENANT_GATEWAY_AUTH_UNAVAILABLE')
    } finally {
      await app.close()
    }
  })

  it.runIf(process.env.REDIS_URL)(
    'with Redis: both replicas refuse a revoked session’s token within a second of auth-api publishing it',
    async () => {
      // A long cache, so only the published revocation can explain a fast stop.
      const config = { REDIS_URL, KEY_CACHE_TTL_MS: '60000' }
      const a = await gateway({ db, auth, config })
      const b = await gateway({ db: second.handle, auth, config })
      const publisher = new Redis(REDIS_URL!)
      try {
        const sessionId = randomUUID()
        const token = await auth.tokenFor(randomUUID(), { sessionId })
        expect((await tenants(a, token)).statusCode).toBe(200)
        expect((await tenants(b, token)).statusCode).toBe(200)
        const published = performance.now()
        await publishRevokedSessions(publisher, [randomUUID(), sessionId])
        for (const replica of [a, b]) {
          await vi.waitFor(async () => expect((await tenants(replica, token)).statusCode).toBe(401), {
            timeout: 1_000,
            interval: 10,
          })
        }
        expect(performance.now() - published).toBeLessThan(1_000)
      } finally {
        publisher.disconnect()
        await Promise.all([a.close(), b.close()])
      }
    },
  )
})
