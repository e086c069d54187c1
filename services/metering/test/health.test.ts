import { createTestDb, type TestDb } from '@gatehouse/db-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.ts'
import { testConfig } from './fixtures.ts'

let db: TestDb

beforeAll(async () => {
  db = await createTestDb({
    migrationsDir: new URL('../migrations', import.meta.url).pathname,
    service: 'metering',
  })
})
afterAll(async () => db?.close())

describe('metering health', () => {
  it('answers liveness and readiness under its public prefix', async () => {
    const app = buildApp({ config: testConfig(), db, logger: false })
    const health = await app.inject({ method: 'GET', url: '/api/usage/health' })
    expect(health.statusCode).toBe(200)
    expect(health.json()).toMatchObject({ status: 'ok', service: 'metering' })
    const ready = await app.inject({ method: 'GET', url: '/ready' })
    expect(ready.statusCode).toBe(200)
    expect(ready.json().database.status).toBe('connected')
    await app.close()
  })
})
