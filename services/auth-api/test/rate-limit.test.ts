import { randomInt } from 'node:crypto'
import type { TestDb } from '@gatehouse/db-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { login, PASSWORD, register, uniqueEmail } from './factories.ts'
import { openTestDb, startTestApp, type TestApp } from './fixtures.ts'

const LIMITS = {
  RATE_LIMIT_LOGIN_PER_IP: '4',
  RATE_LIMIT_LOGIN_PER_ACCOUNT: '3',
  RATE_LIMIT_REGISTER_PER_IP: '2',
  LOCKOUT_THRESHOLD: '100',
}

// Each test comes from its own address (the test client is a trusted loopback proxy), so counters never mix,
// not even in a Redis shared with earlier runs.
function randomIp(): string {
  return `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`
}

let db: TestDb
beforeAll(async () => {
  db = await openTestDb()
})
afterAll(async () => db?.close())

// The memory store always; Redis too when the machine has one (CI exports REDIS_URL).
describe('rate limits (memory store)', () => limitsOf({}))
describe.runIf(process.env.REDIS_URL)('rate limits (redis store)', () =>
  limitsOf({ REDIS_URL: process.env.REDIS_URL ?? '' }),
)

function limitsOf(storeEnv: Record<string, string>) {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(db, { env: { ...LIMITS, ...storeEnv } })
  })
  afterAll(async () => t?.app.close())

  it('limits login attempts per client IP across accounts, with problem+json and Retry-After', async () => {
    const ip = randomIp()
    for (let i = 0; i < 4; i++) {
      expect(
        (await login(t.app, uniqueEmail(), 'wrong password', { 'x-forwarded-for': ip })).statusCode,
      ).toBe(401)
    }
    const limited = await login(t.app, uniqueEmail(), 'wrong password', { 'x-forwarded-for': ip })
    expect(limited.statusCode).toBe(429)
    expect(limited.headers['content-type']).toContain('application/problem+json')
    expect(limited.json().code).toBe('AUTH_API_RATE_LIMITED')
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    // The same 429 as the gateway's: the IETF RateLimit headers of the rule that refused.
    expect(limited.headers['ratelimit-policy']).toBe('"login-ip";q=4;w=60')
    expect(limited.headers['ratelimit-limit']).toBe('4')
    expect(limited.headers['ratelimit-remaining']).toBe('0')
    const reset = Number(limited.headers['ratelimit-reset'])
    expect(reset).toBeGreaterThan(0)
    expect(reset).toBeLessThanOrEqual(60)
    expect(limited.headers['retry-after']).toBe(String(reset))
    // Another address is not affected.
    expect(
      (await login(t.app, uniqueEmail(), 'wrong password', { 'x-forwarded-for': randomIp() })).statusCode,
    ).toBe(401)
  })

  it('limits login attempts per account across addresses', async () => {
    const user = await register(t.app, { headers: { 'x-forwarded-for': randomIp() } })
    for (let i = 0; i < 3; i++) {
      await login(t.app, user.email, 'wrong password', { 'x-forwarded-for': randomIp() })
    }
    const limited = await login(t.app, user.email.toUpperCase(), PASSWORD, { 'x-forwarded-for': randomIp() })
    expect(limited.statusCode).toBe(429)
    expect(limited.headers['ratelimit-policy']).toBe('"login-account";q=3;w=60')
  })

  it('limits registrations per IP', async () => {
    const ip = randomIp()
    await register(t.app, { headers: { 'x-forwarded-for': ip } })
    await register(t.app, { headers: { 'x-forwarded-for': ip } })
    const third = await t.app.inject({
      method: 'POST',
      url: '/api/auth/register',
      headers: { 'x-forwarded-for': ip },
      payload: { email: uniqueEmail(), name: 'X', password: PASSWORD, confirmPassword: PASSWORD },
    })
    expect(third.statusCode).toBe(429)
    expect(third.headers['ratelimit-policy']).toBe('"register-ip";q=2;w=60')
  })
}

describe('rate limits behind untrusted proxies', () => {
  it('ignores X-Forwarded-For from an address outside TRUST_PROXY', async () => {
    const t = await startTestApp(db, { env: { ...LIMITS, TRUST_PROXY: '10.99.0.1' } })
    // Spoofed addresses do not give fresh buckets: all these come from the socket address.
    for (let i = 0; i < 4; i++)
      await login(t.app, uniqueEmail(), 'wrong password', { 'x-forwarded-for': randomIp() })
    const limited = await login(t.app, uniqueEmail(), 'wrong password', { 'x-forwarded-for': randomIp() })
    expect(limited.statusCode).toBe(429)
    await t.app.close()
  })

  it('lets logins through when the Redis store is unreachable (fail open), without hanging', async () => {
    const t = await startTestApp(db, { env: { ...LIMITS, REDIS_URL: 'redis://127.0.0.1:1' } })
    const user = await register(t.app)
    const started = performance.now()
    expect((await login(t.app, user.email, PASSWORD)).statusCode).toBe(200)
    expect(performance.now() - started).toBeLessThan(3000)
    await t.app.close()
  })
})
