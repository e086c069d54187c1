import { Writable } from 'node:stream'
import type { DbHandle } from '@gatehouse/db-kit'
import type { TestDb } from '@gatehouse/db-kit/testing'
import type { ServiceInstance } from '@gatehouse/service-kit'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clients } from '../src/db/schema/index.ts'
import { createKey, createTenant, userOf } from './factories.ts'
import {
  type AuthStub,
  type EchoUpstream,
  gateway,
  openTestDb,
  REDIS_URL,
  secondHandle,
  startAuthStub,
  startEchoUpstream,
} from './fixtures.ts'

let db: TestDb
let second: { handle: DbHandle; close: () => Promise<void> }
let auth: AuthStub
let upstream: EchoUpstream

beforeAll(async () => {
  db = await openTestDb()
  second = await secondHandle(db)
  auth = await startAuthStub()
  upstream = await startEchoUpstream('any')
})

afterAll(async () => {
  await second?.close()
  await Promise.all([auth?.close(), upstream?.close()])
  await db?.close()
})

const upstreams = () => ({ AUTH_API_URL: upstream.url, BOM_TRIGGERS_URL: upstream.url })

/** A tenant with an explicit limit of `max` per minute, and a key for it. */
async function limitedTenant(app: ServiceInstance, max: number) {
  const owner = await userOf(auth)
  const tenantId = await createTenant(app, owner)
  await db.db
    .update(clients)
    .set({ rateLimitMax: max, rateLimitWindowMs: 60_000 })
    .where(eq(clients.id, tenantId))
  const { key } = await createKey(app, owner, tenantId)
  return { tenantId, key }
}

const call = (app: ServiceInstance, key: string) =>
  app.inject({ method: 'GET', url: '/api/tasks', headers: { 'x-api-key': key } })

function logCollector() {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString())
      done()
    },
  })
  return { lines, logger: { level: 'warn', stream } }
}

describe('per-tenant rate limits (memory store)', () => {
  it('counts per tenant, sends RateLimit headers, and answers 429 problem+json with Retry-After', async () => {
    const app = await gateway({ db, auth, config: upstreams() })
    try {
      const { key } = await limitedTenant(app, 3)
      const other = await limitedTenant(app, 3)
      const remaining: string[] = []
      for (let i = 0; i < 3; i++) {
        const response = await call(app, key)
        expect(response.statusCode).toBe(200)
        expect(response.headers['ratelimit-limit']).toBe('3')
        expect(response.headers['ratelimit-policy']).toBe('"tenant";q=3;w=60')
        remaining.push(String(response.headers['ratelimit-remaining']))
      }
      expect(remaining).toEqual(['2', '1', '0'])
      const limited = await call(app, key)
      expect(limited.statusCode).toBe(429)
      expect(limited.headers['content-type']).toContain('application/problem+json')
      expect(limited.json()).toMatchObject({ code: 'TENANT_GATEWAY_RATE_LIMITED', status: 429 })
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
      expect(Number(limited.headers['ratelimit-reset'])).toBeLessThanOrEqual(60)
      // Another tenant has its own budget.
      expect((await call(app, other.key)).statusCode).toBe(200)
      const verify = await app.inject({ method: 'POST', url: '/api/keys/verify', payload: { key } })
      expect(verify.json()).toMatchObject({
        valid: false,
        code: 'RATE_LIMITED',
        rateLimit: { limit: 3, remaining: 0 },
      })
    } finally {
      await app.close()
    }
  })

  it('uses the plan’s limit when the tenant has no explicit one', async () => {
    const app = await gateway({ db, auth, config: upstreams() })
    try {
      const owner = await userOf(auth)
      const tenantId = await createTenant(app, owner)
      await db.db.update(clients).set({ plan: 'pro' }).where(eq(clients.id, tenantId))
      const { key } = await createKey(app, owner, tenantId)
      expect((await call(app, key)).headers['ratelimit-limit']).toBe('6000')
    } finally {
      await app.close()
    }
  })

  it('limits public routes per client IP, tighter for credential POSTs', async () => {
    const app = await gateway({
      db,
      auth,
      config: { ...upstreams(), AUTH_RATE_LIMIT_MAX: '2', PUBLIC_RATE_LIMIT_MAX: '5' },
    })
    try {
      const login = (ip: string) =>
        app.inject({
          method: 'POST',
          url: '/api/auth/login',
          remoteAddress: ip,
          payload: { email: 'a@b.c', password: 'x' },
        })
      expect((await login('10.0.0.1')).statusCode).toBe(200)
      expect((await login('10.0.0.1')).statusCode).toBe(200)
      const third = await login('10.0.0.1')
      expect(third.statusCode).toBe(429)
      expect(third.headers['ratelimit-policy']).toBe('"ip-auth";q=2;w=60')
      expect((await login('10.0.0.2')).statusCode).toBe(200)
      const health = await app.inject({ method: 'GET', url: '/api/auth/health', remoteAddress: '10.0.0.1' })
      expect(health.statusCode).toBe(200)
      expect(health.headers['ratelimit-limit']).toBe('5')
    } finally {
      await app.close()
    }
  })
})

describe.runIf(process.env.REDIS_URL)('per-tenant rate limits with Redis', () => {
  it('shares one budget across two gateway replicas under concurrent load', async () => {
    const config = { ...upstreams(), REDIS_URL }
    const a = await gateway({ db, auth, config })
    const b = await gateway({ db: second.handle, auth, config })
    try {
      const { key } = await limitedTenant(a, 4)
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, i) => call(i % 2 === 0 ? a : b, key)),
      )
      const statuses = responses.map((response) => response.statusCode)
      expect(statuses.filter((status) => status === 200)).toHaveLength(4)
      expect(statuses.filter((status) => status === 429)).toHaveLength(6)
      // Both replicas took part in both outcomes' bookkeeping: the next request on either is refused.
      expect((await call(a, key)).statusCode).toBe(429)
      expect((await call(b, key)).statusCode).toBe(429)
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })
})

describe('per-tenant rate limits when Redis is unreachable', () => {
  it('fails open when Redis is unreachable (default): requests pass, promptly, with a warning', async () => {
    const logs = logCollector()
    const app = await gateway({
      db,
      auth,
      logger: logs.logger,
      config: { ...upstreams(), REDIS_URL: 'redis://127.0.0.1:1' },
    })
    try {
      const { key } = await limitedTenant(app, 1)
      const started = performance.now()
      const statuses = [(await call(app, key)).statusCode, (await call(app, key)).statusCode]
      expect(performance.now() - started).toBeLessThan(1_000)
      expect(statuses).toEqual([200, 200])
      expect(logs.lines.join('')).toContain('failing open')
    } finally {
      await app.close()
    }
  })

  it('fails closed with RATE_LIMIT_FAIL_OPEN=false: 503 problem+json with Retry-After', async () => {
    const app = await gateway({
      db,
      auth,
      config: { ...upstreams(), REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_FAIL_OPEN: 'false' },
    })
    try {
      const { key } = await limitedTenant(app, 100)
      const response = await call(app, key)
      expect(response.statusCode).toBe(503)
      expect(response.headers['retry-after']).toBe('5')
      expect(response.json()).toMatchObject({ code: 'TENANT_GATEWAY_RATE_LIMIT_UNAVAILABLE' })
    } finally {
      await app.close()
    }
  })
})
