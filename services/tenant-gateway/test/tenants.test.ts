import { randomUUID } from 'node:crypto'
import { generateSigningKey } from '@gatehouse/crypto'
import { openPoolConnections, type TestDb } from '@gatehouse/db-kit/testing'
import type { ServiceInstance } from '@gatehouse/service-kit'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKey, createTenant, userOf } from './factories.ts'
import {
  type AuthStub,
  bearer,
  type EchoUpstream,
  gateway,
  openTestDb,
  startAuthStub,
  startEchoUpstream,
} from './fixtures.ts'

let db: TestDb
let auth: AuthStub
let bom: EchoUpstream
let app: ServiceInstance

beforeAll(async () => {
  db = await openTestDb()
  auth = await startAuthStub()
  bom = await startEchoUpstream('bom-triggers')
  app = await gateway({ db, auth, config: { BOM_TRIGGERS_URL: bom.url } })
})

afterAll(async () => {
  await app?.close()
  await Promise.all([auth?.close(), bom?.close()])
  await db?.close()
})

describe('tenants', () => {
  it('makes the creator the owner and lists only the caller’s tenants', async () => {
    const alice = await userOf(auth)
    const bob = await userOf(auth)
    const created = await app.inject({
      method: 'POST',
      url: '/api/tenants',
      headers: alice.headers,
      payload: { name: 'Acme' },
    })
    expect(created.statusCode).toBe(201)
    expect(created.json()).toMatchObject({
      name: 'Acme',
      status: 'active',
      plan: 'free',
      role: 'owner',
      rateLimit: { max: 600, windowMs: 60_000 },
    })
    await createTenant(app, bob, 'Other')
    const mine = await app.inject({ method: 'GET', url: '/api/tenants', headers: alice.headers })
    expect(mine.json().tenants.map((t: { id: string }) => t.id)).toEqual([created.json().id])
    const one = await app.inject({
      method: 'GET',
      url: `/api/tenants/${created.json().id}`,
      headers: alice.headers,
    })
    expect(one.json()).toMatchObject({ id: created.json().id, role: 'owner' })
  })

  it('accepts only valid user access tokens on admin routes', async () => {
    const alice = await userOf(auth)
    const tenantId = await createTenant(app, alice)
    const { key } = await createKey(app, alice, tenantId)
    const withKey = await app.inject({ method: 'GET', url: '/api/tenants', headers: bearer(key) })
    expect(withKey.statusCode).toBe(401)
    expect(withKey.json().code).toBe('TENANT_GATEWAY_USER_TOKEN_REQUIRED')

    const expired = await auth.tokenFor(alice.id, { now: new Date(Date.now() - 3_600_000) })
    const wrongAudience = await auth.tokenFor(alice.id, { audience: 'someone-else' })
    const wrongIssuer = await auth.tokenFor(alice.id, { issuer: 'evil' })
    const stranger = await generateSigningKey()
    const foreign = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid: auth.key.kid })
      .setSubject(alice.id)
      .setIssuer('gatehouse-auth-api')
      .setAudience('gatehouse')
      .setExpirationTime('5m')
      .sign(stranger.privateKey)
    for (const token of [expired, wrongAudience, wrongIssuer, foreign, 'a.b.c']) {
      const response = await app.inject({ method: 'GET', url: '/api/tenants', headers: bearer(token) })
      expect(response.statusCode).toBe(401)
      expect(response.json().code).toBe('TENANT_GATEWAY_ACCESS_TOKEN_INVALID')
    }
    expect((await app.inject({ method: 'GET', url: '/api/tenants' })).statusCode).toBe(401)
  })

  it('answers 503, not 401, when auth-api’s JWKS cannot be fetched', async () => {
    const blind = await gateway({ db, config: { AUTH_JWKS_URL: 'http://127.0.0.1:1/.well-known/jwks.json' } })
    const user = await userOf(auth)
    const response = await blind.inject({ method: 'GET', url: '/api/tenants', headers: user.headers })
    expect(response.statusCode).toBe(503)
    expect(response.json().code).toBe('TENANT_GATEWAY_AUTH_UNAVAILABLE')
    await blind.close()
  })

  it('also accepts HS256 tokens signed with JWT_ACCESS_SECRET when it is set, and only then', async () => {
    const secret = 'seed-hs256-access-secret-0123456789abcdef'
    // auth-api's HS256 tokens (JWT_ACCESS_SECRET): typ at+jwt and a session, no kid.
    const hs256 = await new SignJWT({ sid: randomUUID() })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setSubject(randomUUID())
      .setIssuer('gatehouse-auth-api')
      .setAudience('gatehouse')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(secret))
    const withSecret = await gateway({ db, auth, config: { JWT_ACCESS_SECRET: secret } })
    expect(
      (await withSecret.inject({ method: 'GET', url: '/api/tenants', headers: bearer(hs256) })).statusCode,
    ).toBe(200)
    await withSecret.close()
    const refused = await app.inject({ method: 'GET', url: '/api/tenants', headers: bearer(hs256) })
    expect(refused.statusCode).toBe(401)
  })

  it('suspends and unsuspends a tenant: its keys and members stop and resume on proxied routes', async () => {
    const alice = await userOf(auth)
    const tenantId = await createTenant(app, alice)
    const { key } = await createKey(app, alice, tenantId)
    const viaKey = () => app.inject({ method: 'GET', url: '/api/tasks', headers: { 'x-api-key': key } })
    const viaUser = () =>
      app.inject({ method: 'GET', url: '/api/tasks', headers: { ...alice.headers, 'x-tenant-id': tenantId } })
    expect((await viaKey()).statusCode).toBe(200)
    expect((await viaUser()).statusCode).toBe(200)

    const suspended = await app.inject({
      method: 'POST',
      url: `/api/tenants/${tenantId}/suspend`,
      headers: alice.headers,
    })
    expect(suspended.json().status).toBe('suspended')
    for (const response of [await viaKey(), await viaUser()]) {
      expect(response.statusCode).toBe(403)
      expect(response.json().code).toBe('TENANT_GATEWAY_TENANT_SUSPENDED')
    }
    // Administration still works, so the owner can lift it.
    const lifted = await app.inject({
      method: 'POST',
      url: `/api/tenants/${tenantId}/unsuspend`,
      headers: alice.headers,
    })
    expect(lifted.json().status).toBe('active')
    expect((await viaKey()).statusCode).toBe(200)
    expect((await viaUser()).statusCode).toBe(200)
  })
})

describe('members and roles', () => {
  it('lets owners manage members; admins manage keys; members only read', async () => {
    const owner = await userOf(auth)
    const admin = await userOf(auth)
    const member = await userOf(auth)
    const tenantId = await createTenant(app, owner)
    const put = (as: typeof owner, userId: string, role: string) =>
      app.inject({
        method: 'PUT',
        url: `/api/tenants/${tenantId}/members/${userId}`,
        headers: as.headers,
        payload: { role },
      })

    expect((await put(owner, admin.id, 'admin')).statusCode).toBe(200)
    expect((await put(owner, member.id, 'member')).statusCode).toBe(200)
    const members = await app.inject({
      method: 'GET',
      url: `/api/tenants/${tenantId}/members`,
      headers: member.headers,
    })
    expect(
      members
        .json()
        .members.map((m: { role: string }) => m.role)
        .sort(),
    ).toEqual(['admin', 'member', 'owner'])

    const keysUrl = `/api/tenants/${tenantId}/keys`
    expect((await app.inject({ method: 'GET', url: keysUrl, headers: member.headers })).statusCode).toBe(200)
    const memberCreates = await app.inject({
      method: 'POST',
      url: keysUrl,
      headers: member.headers,
      payload: { name: 'x' },
    })
    expect(memberCreates.statusCode).toBe(403)
    expect(memberCreates.json().code).toBe('TENANT_GATEWAY_FORBIDDEN')
    const { id } = await createKey(app, admin, tenantId)
    const adminRevokes = await app.inject({
      method: 'POST',
      url: `${keysUrl}/${id}/revoke`,
      headers: admin.headers,
    })
    expect(adminRevokes.statusCode).toBe(200)

    expect((await put(admin, member.id, 'admin')).statusCode).toBe(403)
    expect(
      (await app.inject({ method: 'POST', url: `/api/tenants/${tenantId}/suspend`, headers: admin.headers }))
        .statusCode,
    ).toBe(403)
  })

  it('keeps at least one owner', async () => {
    const owner = await userOf(auth)
    const tenantId = await createTenant(app, owner)
    const demote = await app.inject({
      method: 'PUT',
      url: `/api/tenants/${tenantId}/members/${owner.id}`,
      headers: owner.headers,
      payload: { role: 'admin' },
    })
    expect(demote.statusCode).toBe(409)
    expect(demote.json().code).toBe('TENANT_GATEWAY_LAST_OWNER')
    const leave = await app.inject({
      method: 'DELETE',
      url: `/api/tenants/${tenantId}/members/${owner.id}`,
      headers: owner.headers,
    })
    expect(leave.statusCode).toBe(409)
  })

  // A race needs two connections: on PGlite (one connection) the two requests could only run one after the other.
  it.runIf(process.env.TEST_DATABASE_URL)(
    'lets only one of two owners demoting each other at the same time succeed',
    async () => {
      const first = await userOf(auth)
      const second = await userOf(auth)
      const tenantId = await createTenant(app, first)
      await app.inject({
        method: 'PUT',
        url: `/api/tenants/${tenantId}/members/${second.id}`,
        headers: first.headers,
        payload: { role: 'owner' },
      })
      await openPoolConnections(db, 2)
      const results = await Promise.all([
        app.inject({
          method: 'PUT',
          url: `/api/tenants/${tenantId}/members/${second.id}`,
          headers: first.headers,
          payload: { role: 'member' },
        }),
        app.inject({
          method: 'PUT',
          url: `/api/tenants/${tenantId}/members/${first.id}`,
          headers: second.headers,
          payload: { role: 'member' },
        }),
      ])
      // The loser waits for the tenant's membership lock, then finds itself the last owner (409) or, if it started
      // after the winner committed, no longer an owner (403).
      const statuses = results.map((r) => r.statusCode).sort()
      expect(statuses[0]).toBe(200)
      expect([403, 409]).toContain(statuses[1])
      const members = await app.inject({
        method: 'GET',
        url: `/api/tenants/${tenantId}/members`,
        headers: first.headers,
      })
      expect(members.json().members.filter((m: { role: string }) => m.role === 'owner')).toHaveLength(1)
    },
  )

  it('cuts a removed member off proxied routes at once', async () => {
    const owner = await userOf(auth)
    const member = await userOf(auth)
    const tenantId = await createTenant(app, owner)
    await app.inject({
      method: 'PUT',
      url: `/api/tenants/${tenantId}/members/${member.id}`,
      headers: owner.headers,
      payload: { role: 'member' },
    })
    const proxied = () =>
      app.inject({
        method: 'GET',
        url: '/api/materials',
        headers: { ...member.headers, 'x-tenant-id': tenantId },
      })
    expect((await proxied()).statusCode).toBe(200)
    const removed = await app.inject({
      method: 'DELETE',
      url: `/api/tenants/${tenantId}/members/${member.id}`,
      headers: owner.headers,
    })
    expect(removed.statusCode).toBe(204)
    expect((await proxied()).statusCode).toBe(404)
  })
})
