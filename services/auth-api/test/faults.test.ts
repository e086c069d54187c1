import { createDb, type DbHandle } from '@gatehouse/db-kit'
import type { TestDb } from '@gatehouse/db-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.ts'
import { login, me, PASSWORD, refresh, register } from './factories.ts'
import { closeTestApp, openTestApp, type TestApp, testConfig } from './fixtures.ts'

let db: TestDb
let t: TestApp

beforeAll(async () => {
  ;({ db, t } = await openTestApp())
})
afterAll(() => closeTestApp(t, db))

describe('database unreachable', () => {
  let down: DbHandle
  beforeAll(async () => {
    // Nothing listens on port 1: every query fails to connect, on either test backend.
    down = await createDb({ url: 'postgres://postgres@127.0.0.1:1/auth' })
  })
  afterAll(async () => down?.close())

  it('starts anyway and answers 503 problem+json quickly on /ready, /api/health and every login path', async () => {
    const user = await register(t.app)
    const app = buildApp({ config: testConfig(), db: down, logger: false })
    await app.ready()
    const started = performance.now()
    const ready = await app.inject({ method: 'GET', url: '/ready' })
    expect(ready.statusCode).toBe(503)
    expect(ready.headers['content-type']).toContain('application/problem+json')
    const health = await app.inject({ method: 'GET', url: '/api/health' })
    expect(health.statusCode).toBe(503)
    expect(health.json()).toEqual({ status: 'unhealthy', services: { database: { status: 'disconnected' } } })
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200)

    for (const response of [
      await login(app, user.email, PASSWORD),
      await refresh(app, user.refreshToken),
      await me(app, user.accessToken),
      await app.inject({ method: 'GET', url: '/.well-known/jwks.json' }),
    ]) {
      expect(response.statusCode).toBe(503)
      expect(response.json()).toMatchObject({ code: 'AUTH_API_UNAVAILABLE', status: 503 })
      expect(response.headers['retry-after']).toBe('5')
    }
    expect(performance.now() - started).toBeLessThan(5000)
    await app.close()
  })
})

// Killing server connections needs a PostgreSQL server; PGlite runs in-process and has none to kill.
describe.runIf(process.env.TEST_DATABASE_URL)('database connections dropped (PostgreSQL)', () => {
  it('recovers without a restart once the database answers again', async () => {
    const user = await register(t.app)
    const admin = await createDb({ url: process.env.TEST_DATABASE_URL })
    const dbName = new URL(db.url ?? '').pathname.slice(1)
    const killed = await admin.raw.query<{ terminated: boolean }>(
      'select pg_terminate_backend(pid) as terminated from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [dbName],
    )
    await admin.close()
    expect(killed.filter((row) => row.terminated).length).toBeGreaterThan(0)

    const statuses: number[] = []
    for (let attempt = 0; attempt < 3; attempt++) {
      const response = await me(t.app, user.accessToken)
      statuses.push(response.statusCode)
      if (response.statusCode === 200) break
    }
    expect(statuses.at(-1)).toBe(200)
    expect(statuses.every((status) => status === 200 || status === 503)).toBe(true)
    expect((await refresh(t.app, user.refreshToken)).statusCode).toBe(200)
    expect((await t.app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200)
  })
})
