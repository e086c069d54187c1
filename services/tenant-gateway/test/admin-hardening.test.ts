import { randomUUID } from 'node:crypto'
import type { TestDb } from '@gatehouse/db-kit/testing'
import type { ServiceInstance } from '@gatehouse/service-kit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTenant, userOf } from './factories.ts'
import {
  type AuthStub,
  type EchoUpstream,
  gateway,
  openTestDb,
  startAuthStub,
  startEchoUpstream,
} from './fixtures.ts'

const APP_ORIGIN = 'https://app.example.com'

let db: TestDb
let auth: AuthStub
let upstream: EchoUpstream
let app: ServiceInstance

beforeAll(async () => {
  db = await openTestDb()
  auth = await startAuthStub()
  upstream = await startEchoUpstream('any')
  app = await gateway({
    db,
    auth,
    config: {
      AUTH_API_URL: upstream.url,
      BOM_TRIGGERS_URL: upstream.url,
      METERING_URL: upstream.url,
      CORS_ORIGINS: `${APP_ORIGIN}, https://admin.example.com`,
    },
  })
})

afterAll(async () => {
  await app?.close()
  await Promise.all([auth?.close(), upstream?.close()])
  await db?.close()
})

describe('admin routes are limited per user (defect 8)', () => {
  let limited: ServiceInstance
  beforeAll(async () => {
    limited = await gateway({
      db,
      auth,
      config: { ADMIN_WRITE_RATE_LIMIT_MAX: '3', ADMIN_RATE_LIMIT_MAX: '20' },
    })
  })
  afterAll(async () => limited?.close())

  it('refuses a burst of tenant creations with 429 and the admin limit’s headers; another user has their own', async () => {
    const alice = await userOf(auth)
    const create = (headers: Record<string, string>) =>
      limited.inject({ method: 'POST', url: '/api/tenants', headers, payload: { name: 'Burst' } })
    const statuses = []
    for (let i = 0; i < 4; i++) statuses.push((await create(alice.headers)).statusCode)
    expect(statuses).toEqual([201, 201, 201, 429])
    const refused = await create(alice.headers)
    expect(refused.json().code).toBe('TENANT_GATEWAY_RATE_LIMITED')
    expect(refused.headers['ratelimit-policy']).toBe('"admin-write";q=3;w=60')
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
    // Reads have their own budget, and the next user theirs.
    expect(
      (await limited.inject({ method: 'GET', url: '/api/tenants', headers: alice.headers })).statusCode,
    ).toBe(200)
    const bob = await userOf(auth)
    expect((await create(bob.headers)).statusCode).toBe(201)
  })

  it('limits reads too', async () => {
    const carol = await userOf(auth)
    const statuses = new Set<number>()
    for (let i = 0; i < 21; i++)
      statuses.add(
        (await limited.inject({ method: 'GET', url: '/api/tenants', headers: carol.headers })).statusCode,
      )
    expect([...statuses].sort()).toEqual([200, 429])
  })
})

describe('headers a careful API sends (defect 9)', () => {
  it('marks the answers holding a raw key no-store, and sends helmet’s headers', async () => {
    const owner = await userOf(auth)
    const tenantId = await createTenant(app, owner)
    const created = await app.inject({
      method: 'POST',
      url: `/api/tenants/${tenantId}/keys`,
      headers: owner.headers,
      payload: { name: 'ci' },
    })
    expect(created.statusCode).toBe(201)
    expect(created.headers['cache-control']).toBe('no-store')
    expect(created.headers['x-content-type-options']).toBe('nosniff')
    const rotated = await app.inject({
      method: 'POST',
      url: `/api/tenants/${tenantId}/keys/${created.json().id}/rotate`,
      headers: owner.headers,
    })
    expect(rotated.statusCode).toBe(201)
    expect(rotated.headers['cache-control']).toBe('no-store')
  })

  it('answers 401 with WWW-Authenticate', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/tenants' })
    expect(response.statusCode).toBe(401)
    expect(response.headers['www-authenticate']).toBe('Bearer realm="gatehouse"')
  })

  it('answers CORS preflights itself, for configured origins only, with credentials for them alone', async () => {
    const before = upstream.received()
    const preflight = (origin: string) =>
      app.inject({
        method: 'OPTIONS',
        url: '/api/auth/login',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      })
    const allowed = await preflight(APP_ORIGIN)
    expect(allowed.statusCode).toBe(204)
    expect(allowed.headers['access-control-allow-origin']).toBe(APP_ORIGIN)
    expect(allowed.headers['access-control-allow-credentials']).toBe('true')
    expect(String(allowed.headers['access-control-allow-methods'])).toContain('POST')
    const other = await preflight('https://evil.example.com')
    expect(other.headers['access-control-allow-origin']).toBeUndefined()
    expect(other.headers['access-control-allow-credentials']).toBeUndefined()
    expect(other.headers['content-type']).toContain('application/problem+json')
    expect(upstream.received()).toBe(before)

    const simple = await app.inject({
      method: 'GET',
      url: '/api/auth/health',
      headers: { origin: APP_ORIGIN },
    })
    expect(simple.headers['access-control-allow-origin']).toBe(APP_ORIGIN)
    expect(String(simple.headers['access-control-expose-headers'])).toContain('x-request-id')
    const foreign = await app.inject({
      method: 'GET',
      url: '/api/auth/health',
      headers: { origin: 'https://evil.example.com' },
    })
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined()
  })
})

describe('members are auth-api users (defect 10)', () => {
  it('refuses a member id that is no uuid, or no user auth-api knows', async () => {
    const owner = await userOf(auth)
    const tenantId = await createTenant(app, owner)
    const put = (userId: string) =>
      app.inject({
        method: 'PUT',
        url: `/api/tenants/${tenantId}/members/${userId}`,
        headers: owner.headers,
        payload: { role: 'owner' },
      })
    const junk = await put('not-a-real-user;x=1')
    expect(junk.statusCode).toBe(400)
    expect(junk.json().errors[0].path).toBe('/params/userId')
    const stranger = await put(randomUUID())
    expect(stranger.statusCode).toBe(404)
    expect(stranger.json().code).toBe('TENANT_GATEWAY_USER_NOT_FOUND')
    const real = await userOf(auth)
    expect((await put(real.id)).statusCode).toBe(200)
    const members = await app.inject({
      method: 'GET',
      url: `/api/tenants/${tenantId}/members`,
      headers: owner.headers,
    })
    expect(
      members
        .json()
        .members.map((m: { userId: string }) => m.userId)
        .sort(),
    ).toEqual([owner.id, real.id].sort())
  })
})

describe('probes through the gateway (defect 11)', () => {
  it('lets only GET and HEAD of /health and /ready through without credentials', async () => {
    const before = upstream.received()
    for (const [method, url] of [
      ['POST', '/api/tasks/health'],
      ['DELETE', '/api/usage/ready'],
      ['PUT', '/api/usage/health'],
    ] as const) {
      const response = await app.inject({ method, url })
      expect(response.statusCode, `${method} ${url}`).toBe(401)
    }
    expect(upstream.received()).toBe(before)
    expect((await app.inject({ method: 'GET', url: '/api/usage/ready' })).statusCode).toBe(200)
    expect((await app.inject({ method: 'HEAD', url: '/api/tasks/health' })).statusCode).toBe(200)
  })
})
