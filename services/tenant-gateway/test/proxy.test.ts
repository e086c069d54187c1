import { sha256Hex } from '@gatehouse/crypto'
import type { TestDb } from '@gatehouse/db-kit/testing'
import type { ServiceInstance } from '@gatehouse/service-kit'
import { INTERNAL_CONTEXT_HEADER, verifyInternalContext } from '@gatehouse/service-kit'
import { eq } from 'drizzle-orm'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verificationTokens } from '../src/db/schema/index.ts'
import { MemoryUsageSink } from '../src/usage/usage-sink.ts'
import { createKey, createTenant, userOf } from './factories.ts'
import {
  type AuthStub,
  type EchoUpstream,
  gateway,
  INTERNAL_SECRET,
  openTestDb,
  startAuthStub,
  startEchoUpstream,
} from './fixtures.ts'

let db: TestDb
let auth: AuthStub
let authApi: EchoUpstream
let bom: EchoUpstream
let metering: EchoUpstream
let app: ServiceInstance
const usage = new MemoryUsageSink()

beforeAll(async () => {
  db = await openTestDb()
  auth = await startAuthStub()
  authApi = await startEchoUpstream('auth-api')
  bom = await startEchoUpstream('bom-triggers')
  // Far beyond UPSTREAM_TIMEOUT_MS below: a loaded machine (PGlite runs on the loop) may fire both timers together.
  metering = await startEchoUpstream('metering', 5_000)
  app = await gateway({
    db,
    auth,
    usageSink: usage,
    config: {
      AUTH_API_URL: authApi.url,
      BOM_TRIGGERS_URL: bom.url,
      METERING_URL: metering.url,
      UPSTREAM_TIMEOUT_MS: '300',
      AUDIT_INTERNAL_TOKENS: 'true',
    },
  })
})

afterAll(async () => {
  await app?.close()
  await Promise.all([auth?.close(), authApi?.close(), bom?.close(), metering?.close()])
  await db?.close()
})

async function tenantWithKey() {
  const owner = await userOf(auth)
  const tenantId = await createTenant(app, owner)
  const { key, id: keyId } = await createKey(app, owner, tenantId, { name: 'ci', scopes: ['tasks:read'] })
  return { owner, tenantId, key, keyId }
}

describe('proxy: route table and upstream failures', () => {
  it('reaches an upstream health route through the gateway', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/auth/health' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ status: 'ok', service: 'auth-api' })
  })

  it('lets health and readiness of tenant routes through without credentials, and nothing else', async () => {
    for (const url of ['/api/bom-triggers/health', '/api/usage/ready', '/api/tasks/health']) {
      const response = await app.inject({ method: 'GET', url })
      expect(response.statusCode, url).toBe(200)
    }
    for (const url of ['/api/tasks/1/health', '/api/usage/healthz', '/api/bom-triggers']) {
      const response = await app.inject({ method: 'GET', url })
      expect(response.statusCode, url).toBe(401)
    }
  })

  it('answers 503 problem+json at once when the upstream is down', async () => {
    const started = performance.now()
    const response = await app.inject({ method: 'GET', url: '/api/qr/sessions' })
    expect(performance.now() - started).toBeLessThan(1_000)
    expect(response.statusCode).toBe(503)
    expect(response.headers['content-type']).toContain('application/problem+json')
    expect(response.json()).toMatchObject({ code: 'TENANT_GATEWAY_UPSTREAM_UNAVAILABLE', status: 503 })
  })

  it('answers 504 problem+json when the upstream is too slow', async () => {
    const { key } = await tenantWithKey()
    const response = await app.inject({
      method: 'GET',
      url: '/api/usage/slow',
      headers: { 'x-api-key': key },
    })
    expect(response.statusCode).toBe(504)
    expect(response.headers['content-type']).toContain('application/problem+json')
    expect(response.json()).toMatchObject({ code: 'TENANT_GATEWAY_UPSTREAM_TIMEOUT', status: 504 })
  })

  it('propagates the request id both ways', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/api/auth/me',
      headers: { 'x-request-id': 'req-abc.123' },
    })
    expect(response.headers['x-request-id']).toBe('req-abc.123')
    expect(response.json().headers['x-request-id']).toBe('req-abc.123')
  })

  it('never proxies /internal/*, under any prefix or encoding', async () => {
    for (const url of [
      '/internal/sessions',
      '/api/auth/internal/sessions',
      '/api/auth/%69nternal/sessions',
      '/api/auth/Internal',
    ]) {
      const response = await app.inject({ method: 'POST', url })
      expect(response.statusCode).toBe(404)
      expect(response.json().code).toBe('TENANT_GATEWAY_NOT_FOUND')
    }
  })
})

describe('proxy: identity', () => {
  it('refuses tenant routes without credentials, with a typo in the key, or with a user token but no tenant', async () => {
    const anonymous = await app.inject({ method: 'GET', url: '/api/tasks' })
    expect(anonymous.statusCode).toBe(401)
    expect(anonymous.json().code).toBe('TENANT_GATEWAY_UNAUTHENTICATED')

    const { key } = await tenantWithKey()
    const typo = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`
    const badKey = await app.inject({
      method: 'GET',
      url: '/api/tasks',
      headers: { authorization: `Bearer ${typo}` },
    })
    expect(badKey.statusCode).toBe(401)
    expect(badKey.json()).toMatchObject({ code: 'TENANT_GATEWAY_API_KEY_INVALID', reason: 'MALFORMED' })

    const user = await userOf(auth)
    const noTenant = await app.inject({ method: 'GET', url: '/api/tasks', headers: user.headers })
    expect(noTenant.statusCode).toBe(400)
    expect(noTenant.json().code).toBe('TENANT_GATEWAY_TENANT_REQUIRED')
  })

  it('forwards an API key caller as a signed context only its upstream accepts', async () => {
    const { tenantId, key, keyId } = await tenantWithKey()
    const response = await app.inject({
      method: 'GET',
      url: '/api/tasks?page=2',
      headers: { authorization: `Bearer ${key}` },
    })
    expect(response.statusCode).toBe(200)
    const seen = response.json()
    expect(seen.service).toBe('bom-triggers')
    expect(seen.url).toBe('/api/tasks?page=2')
    expect(seen.headers.authorization).toBeUndefined()
    const token = seen.headers[INTERNAL_CONTEXT_HEADER]
    const context = await verifyInternalContext(INTERNAL_SECRET, token, { audience: 'bom-triggers' })
    expect(context).toMatchObject({ tenantId, keyId, scopes: ['tasks:read'] })
    // The token is per caller, not per request: the request id travels in its own header.
    expect(decodeJwt(token)).not.toHaveProperty('rid')
    expect(seen.headers['x-request-id']).toBe(response.headers['x-request-id'])
    await expect(verifyInternalContext(INTERNAL_SECRET, token, { audience: 'metering' })).rejects.toThrow()
  })

  it('reuses one context token per caller and upstream, recorded once; another key or upstream gets its own', async () => {
    const { tenantId, key, owner } = await tenantWithKey()
    const other = await createKey(app, owner, tenantId, { name: 'other', scopes: ['tasks:read'] })
    const contextOf = async (url: string, apiKey: string) => {
      const response = await app.inject({ method: 'GET', url, headers: { 'x-api-key': apiKey } })
      expect(response.statusCode).toBe(200)
      return response.json().headers[INTERNAL_CONTEXT_HEADER] as string
    }
    const first = await contextOf('/api/tasks', key)
    expect(await contextOf('/api/tasks/7', key)).toBe(first)
    expect(await contextOf('/api/tasks', other.key)).not.toBe(first)
    const metering = await contextOf('/api/usage/summary', key)
    expect(metering).not.toBe(first)
    await verifyInternalContext(INTERNAL_SECRET, metering, { audience: 'metering' })

    await app.flushPendingWrites()
    const rows = await db.db
      .select()
      .from(verificationTokens)
      .where(eq(verificationTokens.clientId, tenantId))
    expect(rows.map((row) => row.jti).sort()).toEqual(
      [first, await contextOf('/api/tasks', other.key), metering].map(sha256Hex).sort(),
    )
  })

  it('forwards a member acting for a tenant with x-tenant-id; a non-member gets 404', async () => {
    const { owner, tenantId } = await tenantWithKey()
    const response = await app.inject({
      method: 'POST',
      url: '/api/materials',
      headers: { ...owner.headers, 'x-tenant-id': tenantId },
      payload: { name: 'steel' },
    })
    expect(response.statusCode).toBe(200)
    expect(response.json().body).toEqual({ name: 'steel' })
    const context = await verifyInternalContext(
      INTERNAL_SECRET,
      response.json().headers[INTERNAL_CONTEXT_HEADER],
      {
        audience: 'bom-triggers',
      },
    )
    expect(context).toMatchObject({ tenantId, userId: owner.id, scopes: ['role:owner'] })

    const stranger = await userOf(auth)
    const denied = await app.inject({
      method: 'GET',
      url: '/api/materials',
      headers: { ...stranger.headers, 'x-tenant-id': tenantId },
    })
    expect(denied.statusCode).toBe(404)
    expect(denied.json().code).toBe('TENANT_GATEWAY_TENANT_NOT_FOUND')
  })

  it('ignores identity headers forged by the client', async () => {
    const victim = await tenantWithKey()
    const attacker = await tenantWithKey()
    const forged = await app.inject({
      method: 'GET',
      url: '/api/tasks',
      headers: {
        'x-api-key': attacker.key,
        [INTERNAL_CONTEXT_HEADER]: 'forged.token.value',
        'x-internal-token': 'forged',
        'x-user-id': victim.owner.id,
        'x-gatehouse-tenant': victim.tenantId,
        'x-forwarded-for': '10.0.0.1',
      },
    })
    expect(forged.statusCode).toBe(200)
    const seen = forged.json().headers
    expect(seen['x-internal-token']).toBeUndefined()
    expect(seen['x-user-id']).toBeUndefined()
    expect(seen['x-gatehouse-tenant']).toBeUndefined()
    expect(seen['x-api-key']).toBeUndefined()
    expect(seen['x-forwarded-for']).toBe('127.0.0.1')
    const context = await verifyInternalContext(INTERNAL_SECRET, seen[INTERNAL_CONTEXT_HEADER], {
      audience: 'bom-triggers',
    })
    expect(context.tenantId).toBe(attacker.tenantId)

    // Naming another tenant with x-tenant-id does not move a key to it.
    const mismatch = await app.inject({
      method: 'GET',
      url: '/api/tasks',
      headers: { 'x-api-key': attacker.key, 'x-tenant-id': victim.tenantId },
    })
    expect(mismatch.statusCode).toBe(403)
    expect(mismatch.json().code).toBe('TENANT_GATEWAY_TENANT_MISMATCH')

    // On a public route a forged context is replaced by an anonymous one.
    const publicRoute = await app.inject({
      method: 'GET',
      url: '/api/auth/me',
      headers: { [INTERNAL_CONTEXT_HEADER]: 'forged.token.value', 'x-tenant-id': victim.tenantId },
    })
    const anonymous = await verifyInternalContext(
      INTERNAL_SECRET,
      publicRoute.json().headers[INTERNAL_CONTEXT_HEADER],
      {
        audience: 'auth-api',
      },
    )
    expect(anonymous).toMatchObject({ tenantId: undefined, userId: undefined, scopes: [] })
    expect(publicRoute.json().headers['x-tenant-id']).toBeUndefined()
  })

  it('passes the user of a valid access token on public routes and keeps the Authorization header for auth-api', async () => {
    const user = await userOf(auth)
    const response = await app.inject({ method: 'GET', url: '/api/auth/me', headers: user.headers })
    const seen = response.json().headers
    expect(seen.authorization).toBe(user.headers.authorization)
    const context = await verifyInternalContext(INTERNAL_SECRET, seen[INTERNAL_CONTEXT_HEADER], {
      audience: 'auth-api',
    })
    expect(context.userId).toBe(user.id)
  })
})

describe('proxy: audit of issued tokens', () => {
  it('records each identity-carrying context token in verification_tokens, by hash, not the token', async () => {
    const { tenantId, key, keyId } = await tenantWithKey()
    const response = await app.inject({ method: 'GET', url: '/api/tasks', headers: { 'x-api-key': key } })
    const token: string = response.json().headers[INTERNAL_CONTEXT_HEADER]
    const anonymous = await app.inject({ method: 'GET', url: '/api/auth/me' })
    const anonymousToken: string = anonymous.json().headers[INTERNAL_CONTEXT_HEADER]
    await app.flushPendingWrites()
    const rows = await db.db
      .select()
      .from(verificationTokens)
      .where(eq(verificationTokens.clientId, tenantId))
    expect(rows).toEqual([
      expect.objectContaining({
        jti: sha256Hex(token),
        keyId,
        userId: null,
        audience: 'bom-triggers',
        requestId: response.headers['x-request-id'],
      }),
    ])
    expect(rows[0]!.expiresAt.getTime() - rows[0]!.issuedAt.getTime()).toBe(60_000)
    const unrelated = await db.db
      .select()
      .from(verificationTokens)
      .where(eq(verificationTokens.jti, sha256Hex(anonymousToken)))
    expect(unrelated).toEqual([])
  })
})

describe('proxy: usage events', () => {
  it('records exactly one usage event per proxied authenticated request', async () => {
    const { tenantId, key, keyId } = await tenantWithKey()
    const before = usage.events.length
    const response = await app.inject({
      method: 'GET',
      url: '/api/tasks/42?token=secret',
      headers: { 'x-api-key': key },
    })
    expect(response.statusCode).toBe(200)
    const events = usage.events.slice(before)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      tenantId,
      keyId,
      upstream: 'bom-triggers',
      method: 'GET',
      path: '/api/tasks/42',
      status: 200,
      requestId: response.headers['x-request-id'],
    })

    // Refused and anonymous requests are not usage.
    await app.inject({ method: 'GET', url: '/api/tasks', headers: { 'x-api-key': 'gh_nope' } })
    await app.inject({ method: 'GET', url: '/api/auth/health' })
    expect(usage.events.length).toBe(before + 1)
  })
})
