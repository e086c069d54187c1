import Type from 'typebox'
import { describe, expect, it } from 'vitest'
import { requireTenantCaller } from '../src/caller-context.ts'
import { createTestClock } from '../src/clock.ts'
import { createService } from '../src/create-service.ts'
import { signInternalContext } from '../src/internal-auth.ts'
import { tooManyRequests } from '../src/too-many-requests.ts'
import { parseTrustedProxies } from '../src/trusted-proxies.ts'

const secret = 's'.repeat(40)

describe('parseTrustedProxies', () => {
  it('trusts nobody when unset, empty or none, and drops empty entries', () => {
    expect(parseTrustedProxies(undefined)).toBe(false)
    expect(parseTrustedProxies('')).toBe(false)
    expect(parseTrustedProxies(' none ')).toBe(false)
    expect(parseTrustedProxies('loopback, 10.0.0.0/8,,')).toEqual(['loopback', '10.0.0.0/8'])
  })
})

describe('createTestClock', () => {
  it('moves only when told, in milliseconds', () => {
    const clock = createTestClock(new Date('2030-01-01T00:00:00Z'))
    expect(clock().toISOString()).toBe('2030-01-01T00:00:00.000Z')
    clock.advance(1500)
    expect(clock().toISOString()).toBe('2030-01-01T00:00:01.500Z')
    clock.set(new Date('2031-01-01T00:00:00Z'))
    expect(clock().getUTCFullYear()).toBe(2031)
  })
})

describe('errors of service-kit itself', () => {
  it('carry the prefix of the service that answers, and their headers', async () => {
    const app = createService({ name: 'bom-triggers', logger: false, internalSecret: secret })
    app.get('/api/tasks', async (request) => requireTenantCaller(request))
    app.get('/limited', async () => {
      throw tooManyRequests({ policy: 'tenant', limit: 3, remaining: 0, resetSeconds: 42, windowSeconds: 60 })
    })
    app.get('/typed', { schema: { querystring: Type.Object({ n: Type.Integer() }) } }, async () => ({}))

    const anonymous = await app.inject({ method: 'GET', url: '/api/tasks' })
    expect(anonymous.statusCode).toBe(401)
    expect(anonymous.json().code).toBe('BOM_TRIGGERS_CALLER_REQUIRED')

    const forged = await app.inject({
      method: 'GET',
      url: '/api/tasks',
      headers: { 'x-gatehouse-context': 'x' },
    })
    expect(forged.json().code).toBe('BOM_TRIGGERS_INTERNAL_CONTEXT_INVALID')

    const token = await signInternalContext(
      secret,
      { tenantId: 't-1', scopes: ['a'] },
      { audience: 'bom-triggers' },
    )
    const signed = await app.inject({
      method: 'GET',
      url: '/api/tasks',
      headers: { 'x-gatehouse-context': token },
    })
    expect(signed.json()).toEqual({ tenantId: 't-1', scopes: ['a'] })

    const limited = await app.inject({ method: 'GET', url: '/limited' })
    expect(limited.statusCode).toBe(429)
    expect(limited.headers['content-type']).toContain('application/problem+json')
    expect(limited.json()).toMatchObject({ code: 'BOM_TRIGGERS_RATE_LIMITED', status: 429 })
    expect(limited.headers).toMatchObject({
      'ratelimit-policy': '"tenant";q=3;w=60',
      'ratelimit-limit': '3',
      'ratelimit-remaining': '0',
      'ratelimit-reset': '42',
      'retry-after': '42',
    })

    expect((await app.inject({ method: 'GET', url: '/api/bom-triggers/health' })).statusCode).toBe(200)
    expect((await app.inject({ method: 'GET', url: '/typed?n=x' })).json().code).toBe(
      'BOM_TRIGGERS_VALIDATION_FAILED',
    )
    await app.close()
  })
})
