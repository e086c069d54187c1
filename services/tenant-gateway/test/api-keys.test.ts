import { Writable } from 'node:stream'
import { apiKeyDisplayPrefix, hmacSha256Hex, isWellFormedApiKey } from '@gatehouse/crypto'
import type { TestDb } from '@gatehouse/db-kit/testing'
import { createTestClock, type ServiceInstance } from '@gatehouse/service-kit'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiKeys } from '../src/db/schema/index.ts'
import { createKey, createTenant, type TestUser, userOf } from './factories.ts'
import {
  type AuthStub,
  type EchoUpstream,
  gateway,
  openTestDb,
  PEPPER,
  startAuthStub,
  startEchoUpstream,
  TEST_START,
} from './fixtures.ts'

let db: TestDb
let auth: AuthStub
let bom: EchoUpstream
let app: ServiceInstance
const time = createTestClock(TEST_START)
const logLines: string[] = []

beforeAll(async () => {
  db = await openTestDb()
  auth = await startAuthStub()
  bom = await startEchoUpstream('bom-triggers')
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(chunk.toString())
      done()
    },
  })
  app = await gateway({
    db,
    auth,
    clock: time,
    config: { BOM_TRIGGERS_URL: bom.url },
    logger: { level: 'trace', stream: logStream },
  })
})

afterAll(async () => {
  await app?.close()
  await Promise.all([auth?.close(), bom?.close()])
  await db?.close()
})

/** Tokens are minted at the test clock's time, since the gateway checks them against it. */
async function owner(): Promise<TestUser & { tenantId: string }> {
  const user = await userOf(auth, time())
  return { ...user, tenantId: await createTenant(app, user) }
}

const call = (key: string) =>
  app.inject({ method: 'GET', url: '/api/tasks', headers: { authorization: `Bearer ${key}` } })

describe('API keys', () => {
  it('shows the raw key once and never again', async () => {
    const admin = await owner()
    const created = await createKey(app, admin, admin.tenantId, { name: 'deploy', scopes: ['tasks:write'] })
    expect(isWellFormedApiKey(created.key)).toBe(true)
    expect(created.prefix).toBe(apiKeyDisplayPrefix(created.key))

    const list = await app.inject({
      method: 'GET',
      url: `/api/tenants/${admin.tenantId}/keys`,
      headers: admin.headers,
    })
    const one = await app.inject({
      method: 'GET',
      url: `/api/tenants/${admin.tenantId}/keys/${created.id}`,
      headers: admin.headers,
    })
    for (const response of [list, one]) {
      expect(response.statusCode).toBe(200)
      expect(response.body).not.toContain(created.key)
      expect(response.body).not.toContain('"key"')
      expect(response.body).not.toContain('Hash')
    }
    expect(list.json().keys).toEqual([
      expect.objectContaining({
        id: created.id,
        name: 'deploy',
        prefix: created.prefix,
        scopes: ['tasks:write'],
      }),
    ])

    const [row] = await db.db.select().from(apiKeys).where(eq(apiKeys.id, created.id))
    expect(row!.apiKeyHash).toBe(hmacSha256Hex(PEPPER, created.key))
    expect(JSON.stringify(row)).not.toContain(created.key.slice(12))
  })

  it('authenticates proxied requests and records when a key was last used', async () => {
    const admin = await owner()
    const { key, id } = await createKey(app, admin, admin.tenantId)
    expect((await call(key)).statusCode).toBe(200)
    await app.flushPendingWrites()
    const view = await app.inject({
      method: 'GET',
      url: `/api/tenants/${admin.tenantId}/keys/${id}`,
      headers: admin.headers,
    })
    expect(view.json().lastUsedAt).toBe(time().toISOString())
  })

  it('rejects a key with a bad checksum before any lookup', async () => {
    const admin = await owner()
    const { key } = await createKey(app, admin, admin.tenantId)
    const typo = key.slice(0, 10) + (key[10] === 'a' ? 'b' : 'a') + key.slice(11)
    // Even a stored row with exactly that hash is not found: the checksum refuses the typo first.
    await db.db.insert(apiKeys).values({
      clientId: admin.tenantId,
      name: 'trap',
      keyPrefix: 'gh_trap',
      apiKeyHash: hmacSha256Hex(PEPPER, typo),
      pepperVersion: 1,
    })
    const response = await call(typo)
    expect(response.statusCode).toBe(401)
    expect(response.json()).toMatchObject({ code: 'TENANT_GATEWAY_API_KEY_INVALID', reason: 'MALFORMED' })
  })

  it('rotates a key: the old one keeps working for the overlap, then stops', async () => {
    const admin = await owner()
    const old = await createKey(app, admin, admin.tenantId, { name: 'worker', scopes: ['a', 'b'] })
    expect((await call(old.key)).statusCode).toBe(200)

    const rotated = await app.inject({
      method: 'POST',
      url: `/api/tenants/${admin.tenantId}/keys/${old.id}/rotate`,
      headers: admin.headers,
    })
    expect(rotated.statusCode).toBe(201)
    const body = rotated.json()
    expect(body).toMatchObject({ name: 'worker', scopes: ['a', 'b'] })
    expect(body.key).not.toBe(old.key)
    expect(body.previous).toMatchObject({ id: old.id, replacedById: body.id })
    expect(new Date(body.previous.expiresAt).getTime() - time().getTime()).toBe(24 * 3600 * 1000)

    time.advance(24 * 3600 * 1000 - 1000)
    expect((await call(old.key)).statusCode).toBe(200)
    expect((await call(body.key)).statusCode).toBe(200)
    time.advance(1000)
    const expired = await call(old.key)
    expect(expired.statusCode).toBe(401)
    expect(expired.json().reason).toBe('EXPIRED')
    expect((await call(body.key)).statusCode).toBe(200)
  })

  it('rotates with an explicit overlap of 0: the old key stops at once', async () => {
    const admin = await owner()
    const old = await createKey(app, admin, admin.tenantId)
    expect((await call(old.key)).statusCode).toBe(200)
    const rotated = await app.inject({
      method: 'POST',
      url: `/api/tenants/${admin.tenantId}/keys/${old.id}/rotate`,
      headers: admin.headers,
      payload: { overlapSeconds: 0 },
    })
    expect(rotated.statusCode).toBe(201)
    expect((await call(old.key)).statusCode).toBe(401)
    expect((await call(rotated.json().key)).statusCode).toBe(200)
  })

  it('revokes a key at once, idempotently, and refuses to rotate it afterwards', async () => {
    const admin = await owner()
    const { key, id } = await createKey(app, admin, admin.tenantId)
    expect((await call(key)).statusCode).toBe(200)
    const url = `/api/tenants/${admin.tenantId}/keys/${id}/revoke`
    const first = await app.inject({ method: 'POST', url, headers: admin.headers })
    expect(first.statusCode).toBe(200)
    expect(first.json().revokedAt).toBe(time().toISOString())
    const denied = await call(key)
    expect(denied.statusCode).toBe(401)
    expect(denied.json().reason).toBe('REVOKED')
    time.advance(60_000)
    const again = await app.inject({ method: 'POST', url, headers: admin.headers })
    expect(again.json().revokedAt).toBe(first.json().revokedAt)
    const rotate = await app.inject({
      method: 'POST',
      url: `/api/tenants/${admin.tenantId}/keys/${id}/rotate`,
      headers: admin.headers,
    })
    expect(rotate.statusCode).toBe(409)
    expect(rotate.json().code).toBe('TENANT_GATEWAY_KEY_REVOKED')
  })

  it('honours an expiry given at creation and refuses one in the past', async () => {
    const admin = await owner()
    const expiresAt = new Date(time().getTime() + 3_600_000).toISOString()
    const { key } = await createKey(app, admin, admin.tenantId, { name: 'temp', expiresAt })
    expect((await call(key)).statusCode).toBe(200)
    time.advance(3_600_000)
    expect((await call(key)).json().reason).toBe('EXPIRED')
    const past = await app.inject({
      method: 'POST',
      url: `/api/tenants/${admin.tenantId}/keys`,
      headers: { authorization: `Bearer ${await auth.tokenFor(admin.id, { now: time() })}` },
      payload: { name: 'late', expiresAt: new Date(time().getTime() - 1000).toISOString() },
    })
    expect(past.statusCode).toBe(400)
  })
})

describe('POST /api/keys/verify', () => {
  const verify = (key: string) => app.inject({ method: 'POST', url: '/api/keys/verify', payload: { key } })

  it('answers valid with tenant, scopes and the remaining rate limit, without spending it', async () => {
    const admin = await owner()
    const { key, id } = await createKey(app, admin, admin.tenantId, { name: 'svc', scopes: ['usage:read'] })
    await call(key)
    const first = await verify(key)
    expect(first.statusCode).toBe(200)
    expect(first.json()).toMatchObject({
      valid: true,
      code: 'VALID',
      tenantId: admin.tenantId,
      keyId: id,
      scopes: ['usage:read'],
      expiresAt: null,
      rateLimit: { limit: 600, remaining: 599 },
    })
    expect((await verify(key)).json().rateLimit.remaining).toBe(599)
  })

  it('answers invalid with a reason: malformed, unknown, revoked, disabled', async () => {
    expect((await verify('gh_short')).json()).toEqual({ valid: false, code: 'MALFORMED' })
    const admin = await owner()
    const { key, id } = await createKey(app, admin, admin.tenantId)
    const { key: unknown } = await createKey(app, admin, admin.tenantId)
    await db.db.delete(apiKeys).where(eq(apiKeys.apiKeyHash, hmacSha256Hex(PEPPER, unknown)))
    expect((await verify(unknown)).json()).toEqual({ valid: false, code: 'NOT_FOUND' })

    await app.inject({
      method: 'POST',
      url: `/api/tenants/${admin.tenantId}/suspend`,
      headers: admin.headers,
    })
    expect((await verify(key)).json()).toMatchObject({
      valid: false,
      code: 'DISABLED',
      tenantId: admin.tenantId,
    })
    await app.inject({
      method: 'POST',
      url: `/api/tenants/${admin.tenantId}/unsuspend`,
      headers: admin.headers,
    })
    await app.inject({
      method: 'POST',
      url: `/api/tenants/${admin.tenantId}/keys/${id}/revoke`,
      headers: admin.headers,
    })
    expect((await verify(key)).json()).toMatchObject({ valid: false, code: 'REVOKED' })
  })
})

describe('logs', () => {
  it('never contain a raw key', async () => {
    const admin = await owner()
    const { key, id } = await createKey(app, admin, admin.tenantId)
    await call(key)
    await app.inject({ method: 'GET', url: '/api/tasks', headers: { 'x-api-key': key } })
    await app.inject({ method: 'POST', url: '/api/keys/verify', payload: { key } })
    await app.inject({
      method: 'POST',
      url: `/api/tenants/${admin.tenantId}/keys/${id}/rotate`,
      headers: admin.headers,
    })
    await app.inject({ method: 'GET', url: `/api/tasks?api_key=${key}` })
    await app.inject({ method: 'POST', url: '/api/keys/verify', payload: { key: `${key}x`.repeat(20) } })
    expect(logLines.length).toBeGreaterThan(10)
    const everything = logLines.join('')
    expect(everything).not.toContain(key)
    expect(everything).not.toContain(key.slice(12))
  })
})
