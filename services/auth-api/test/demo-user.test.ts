import type { TestDb } from '@gatehouse/db-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_EMAIL, seedDemoUser } from '../src/demo-user.ts'
import { login } from './factories.ts'
import { closeTestApp, openTestApp, type TestApp } from './fixtures.ts'

let db: TestDb
let t: TestApp
beforeAll(async () => {
  ;({ db, t } = await openTestApp())
})
afterAll(() => closeTestApp(t, db))

describe('seed:demo', () => {
  it('creates a real demo user with a fresh password; running it again resets the password', async () => {
    const first = await seedDemoUser(db.db, { nodeEnv: 'development', now: t.clock() })
    expect(first).toMatchObject({ email: DEMO_EMAIL, created: true })
    expect(first.password).not.toBe('password123')
    expect((await login(t.app, DEMO_EMAIL, first.password)).statusCode).toBe(200)

    const second = await seedDemoUser(db.db, { nodeEnv: 'development', now: t.clock() })
    expect(second.created).toBe(false)
    expect((await login(t.app, DEMO_EMAIL, first.password)).statusCode).toBe(401)
    expect((await login(t.app, DEMO_EMAIL, second.password)).statusCode).toBe(200)
  })

  it('refuses to run in production', async () => {
    await expect(seedDemoUser(db.db, { nodeEnv: 'production', now: t.clock() })).rejects.toThrow(/production/)
  })
})
