import { hashPassword, passwordNeedsRehash, verifyPassword } from '@gatehouse/crypto'
import type { TestDb } from '@gatehouse/db-kit/testing'
import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { auditLogs, users } from '../src/db/schema/index.ts'
import { type LoginSettings, loginWithPassword } from '../src/login.ts'
import { login, me, PASSWORD, register, uniqueEmail } from './factories.ts'
import { openTestDb, startTestApp, type TestApp } from './fixtures.ts'

let db: TestDb
let t: TestApp

beforeAll(async () => {
  db = await openTestDb()
  t = await startTestApp(db, {
    env: { LOCKOUT_THRESHOLD: '3', LOCKOUT_BASE_SECONDS: '60', LOCKOUT_MAX_SECONDS: '200' },
  })
})
afterAll(async () => {
  await t?.app.close()
  await db?.close()
})

async function eventsOf(userId: string) {
  const rows = await db.db
    .select()
    .from(auditLogs)
    .where(eq(auditLogs.userId, userId))
    .orderBy(auditLogs.createdAt)
  return rows.map((row) => row.eventType)
}

describe('POST /api/auth/login', () => {
  it('opens a new session with the same answer shape as register, email case-insensitive', async () => {
    const user = await register(t.app)
    const response = await login(t.app, user.email.toUpperCase(), PASSWORD, {
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0',
    })
    expect(response.statusCode).toBe(200)
    const body = response.json()
    expect(Object.keys(body).sort()).toEqual(
      Object.keys(user)
        .filter((k) => k !== 'email' && k !== 'password')
        .sort(),
    )
    expect(body.user).toEqual(user.user)
    expect(body.sessionId).not.toBe(user.sessionId)
    expect((await me(t.app, body.accessToken)).statusCode).toBe(200)
    expect(await eventsOf(user.user.id)).toEqual(['REGISTER', 'LOGIN_SUCCESS'])
  })

  it('answers unknown email and wrong password identically', async () => {
    const user = await register(t.app)
    const wrongPassword = await login(t.app, user.email, 'not the password at all')
    const unknownEmail = await login(t.app, uniqueEmail('nobody'), 'not the password at all')
    for (const response of [wrongPassword, unknownEmail]) {
      expect(response.statusCode).toBe(401)
      expect(response.headers['content-type']).toContain('application/problem+json')
      expect(response.headers['set-cookie']).toBeUndefined()
    }
    const strip = (body: Record<string, unknown>) => ({ ...body, requestId: undefined })
    expect(strip(wrongPassword.json())).toEqual(strip(unknownEmail.json()))
    expect(wrongPassword.json().code).toBe('AUTH_API_INVALID_CREDENTIALS')
  })

  it('verifies a dummy hash for unknown emails and locked accounts exactly as the real one for known emails', async () => {
    const user = await register(t.app)
    const locked = await register(t.app)
    await db.db
      .update(users)
      .set({ lockedUntil: new Date(t.clock().getTime() + 60_000) })
      .where(eq(users.id, locked.user.id))
    const [stored] = await db.db.select().from(users).where(eq(users.id, user.user.id))
    // The real argon2 verifier, watched: which hash each attempt spends its verification on.
    const verifier = vi.fn(verifyPassword)
    const settings: LoginSettings = {
      lockout: { threshold: 1000, baseSeconds: 60, maxSeconds: 60 },
      sessionTtlSeconds: 3600,
      verifyPassword: verifier,
    }
    const attempt = (email: string, password: string) =>
      loginWithPassword(db.db, { email, password, client: { ip: '192.0.2.1' }, now: t.clock() }, settings)
    const verifiedHashOf = async (email: string, password: string, outcome: 'success' | 'failure') => {
      verifier.mockClear()
      if (outcome === 'success') await expect(attempt(email, password)).resolves.toBeDefined()
      else await expect(attempt(email, password)).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' })
      expect(verifier).toHaveBeenCalledTimes(1)
      expect(verifier.mock.calls[0]?.[1]).toBe(password)
      return verifier.mock.calls[0]?.[0] ?? ''
    }

    const realHash = await verifiedHashOf(user.email, 'not the password at all', 'failure')
    expect(realHash).toBe(stored?.passwordHash)
    expect(await verifiedHashOf(user.email, PASSWORD, 'success')).toBe(realHash)
    const unknownHash = await verifiedHashOf(uniqueEmail('ghost'), 'not the password at all', 'failure')
    const lockedHash = await verifiedHashOf(locked.email, PASSWORD, 'failure')

    // A real argon2id hash with the same algorithm, version, memory, time and parallelism, the same salt and
    // digest lengths: verifying it costs what verifying the user's own hash costs.
    const shape = (hash: string) => hash.split('$').map((part, i) => (i < 4 ? part : part.length))
    for (const dummy of [unknownHash, lockedHash]) {
      expect(dummy).not.toBe(realHash)
      expect(shape(dummy)).toEqual(shape(realHash))
      expect(passwordNeedsRehash(dummy)).toBe(false)
    }
    expect(shape(realHash).slice(0, 4)).toEqual(['', 'argon2id', 'v=19', 'm=19456,t=2,p=1'])
  })

  it('rehashes a password stored with weaker argon2 parameters on the next successful login', async () => {
    const email = uniqueEmail('legacy')
    const weakHash = await hashPassword(PASSWORD, { memoryCost: 4096, timeCost: 1, parallelism: 1 })
    await db.db.insert(users).values({ email, name: 'Legacy', passwordHash: weakHash })
    expect((await login(t.app, email, PASSWORD)).statusCode).toBe(200)
    const [stored] = await db.db.select().from(users).where(eq(users.email, email))
    expect(stored?.passwordHash).not.toBe(weakHash)
    expect(stored?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    expect((await login(t.app, email, PASSWORD)).statusCode).toBe(200)
  })

  it('locks the account after consecutive failures, with growing delays, and a success resets it', async () => {
    const user = await register(t.app)
    const lockedUntil = async () =>
      (await db.db.select().from(users).where(eq(users.id, user.user.id)))[0]?.lockedUntil?.getTime()
    for (let i = 0; i < 3; i++)
      expect((await login(t.app, user.email, 'wrong password!')).statusCode).toBe(401)
    expect(await lockedUntil()).toBe(t.clock().getTime() + 60_000)

    // Locked: even the right password gets the same 401, and attempts do not extend the lock.
    const whileLocked = await login(t.app, user.email, PASSWORD)
    expect(whileLocked.statusCode).toBe(401)
    expect(whileLocked.json().code).toBe('AUTH_API_INVALID_CREDENTIALS')
    expect(await lockedUntil()).toBe(t.clock().getTime() + 60_000)

    t.clock.advance(61 * 1000)
    expect((await login(t.app, user.email, 'wrong password!')).statusCode).toBe(401)
    expect(await lockedUntil()).toBe(t.clock().getTime() + 120_000)
    t.clock.advance(121 * 1000)
    await login(t.app, user.email, 'wrong password!')
    // 240 s would follow, capped by LOCKOUT_MAX_SECONDS=200.
    expect(await lockedUntil()).toBe(t.clock().getTime() + 200_000)

    t.clock.advance(201 * 1000)
    expect((await login(t.app, user.email, PASSWORD)).statusCode).toBe(200)
    const [reset] = await db.db.select().from(users).where(eq(users.id, user.user.id))
    expect(reset).toMatchObject({ failedLoginCount: 0, lockedUntil: null })

    const locks = await db.db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.userId, user.user.id), eq(auditLogs.eventType, 'ACCOUNT_LOCKED')))
    expect(locks.map((row) => row.details.failedAttempts)).toEqual([3, 4, 5])
    const failures = await db.db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.userId, user.user.id), eq(auditLogs.eventType, 'LOGIN_FAILED')))
    expect(failures.map((row) => row.details.reason)).toContain('account_locked')
  })

  it('validates the body: missing fields, bad email, over-long password', async () => {
    const missing = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: {} })
    expect(missing.statusCode).toBe(400)
    expect(missing.json().code).toBe('AUTH_API_VALIDATION_FAILED')
    expect((await login(t.app, 'nope', PASSWORD)).statusCode).toBe(400)
    expect((await login(t.app, uniqueEmail(), 'x'.repeat(1025))).statusCode).toBe(400)
  })
})
