import type { TestDb } from '@gatehouse/db-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeTestApp, openTestApp, type TestApp } from './fixtures.ts'

let db: TestDb
let t: TestApp

beforeAll(async () => {
  ;({ db, t } = await openTestApp())
})
afterAll(() => closeTestApp(t, db))

describe('auth-api health', () => {
  it('answers liveness and readiness under its public prefix', async () => {
    const health = await t.app.inject({ method: 'GET', url: '/api/auth/health' })
    expect(health.statusCode).toBe(200)
    expect(health.json()).toMatchObject({ status: 'ok', service: 'auth-api' })
    const ready = await t.app.inject({ method: 'GET', url: '/ready' })
    expect(ready.statusCode).toBe(200)
    expect(ready.json().database.status).toBe('connected')
  })

  it("answers GET /api/health in seed 003's shape", async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/health' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({
      status: 'healthy',
      services: { database: { status: 'connected', latency: expect.stringMatching(/^\d+ms$/) } },
    })
  })

  it('answers unknown routes with 404 problem+json', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/auth/nope' })
    expect(response.statusCode).toBe(404)
    expect(response.json().code).toBe('AUTH_API_NOT_FOUND')
  })
})
