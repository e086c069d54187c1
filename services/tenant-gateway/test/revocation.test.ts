import type { DbHandle } from '@gatehouse/db-kit'
import type { TestDb } from '@gatehouse/db-kit/testing'
import { createTestClock, type ServiceInstance, type TestClock } from '@gatehouse/service-kit'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
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
  TEST_START,
} from './fixtures.ts'

let db: TestDb
let second: { handle: DbHandle; close: () => Promise<void> }
let auth: AuthStub
let bom: EchoUpstream

beforeAll(async () => {
  db = await openTestDb()
  second = await secondHandle(db)
  auth = await startAuthStub()
  bom = await startEchoUpstream('bom-triggers')
})

afterAll(async () => {
  await second?.close()
  await Promise.all([auth?.close(), bom?.close()])
  await db?.close()
})

const call = (app: ServiceInstance, key: string) =>
  app.inject({ method: 'GET', url: '/api/tasks', headers: { 'x-api-key': key } })

/** Replica A administers; replica B has the key cached from a previous request. */
async function twoReplicas(config: Record<string, string | undefined>, clock?: TestClock) {
  const shared = { auth, clock, config: { BOM_TRIGGERS_URL: bom.url, ...config } }
  const a = await gateway({ db, ...shared })
  const b = await gateway({ db: second.handle, ...shared })
  const owner = await userOf(auth, clock?.())
  const tenantId = await createTenant(a, owner)
  const key = await createKey(a, owner, tenantId)
  expect((await call(a, key.key)).statusCode).toBe(200)
  expect((await call(b, key.key)).statusCode).toBe(200)
  return { a, b, owner, tenantId, key }
}

describe('revocation across gateway replicas', () => {
  it.runIf(process.env.REDIS_URL)(
    'with Redis: a key revoked on one replica stops working on the other well within 5 s',
    async () => {
      // A long cache TTL, so only the pub/sub invalidation can explain a fast stop.
      const { a, b, owner, tenantId, key } = await twoReplicas({ REDIS_URL, KEY_CACHE_TTL_MS: '60000' })
      try {
        const revokedAt = performance.now()
        const revoke = await a.inject({
          method: 'POST',
          url: `/api/tenants/${tenantId}/keys/${key.id}/revoke`,
          headers: owner.headers,
        })
        expect(revoke.statusCode).toBe(200)
        await vi.waitFor(async () => expect((await call(b, key.key)).statusCode).toBe(401), {
          timeout: 5_000,
          interval: 10,
        })
        const propagationMs = performance.now() - revokedAt
        expect(propagationMs).toBeLessThan(5_000)
        expect((await call(b, key.key)).json().reason).toBe('REVOKED')
      } finally {
        await Promise.all([a.close(), b.close()])
      }
    },
  )

  it.runIf(process.env.REDIS_URL)(
    'with Redis: a key rotated out with no overlap stops on the other replica too',
    async () => {
      const { a, b, owner, tenantId, key } = await twoReplicas({ REDIS_URL, KEY_CACHE_TTL_MS: '60000' })
      try {
        const rotated = await a.inject({
          method: 'POST',
          url: `/api/tenants/${tenantId}/keys/${key.id}/rotate`,
          headers: owner.headers,
          payload: { overlapSeconds: 0 },
        })
        expect(rotated.statusCode).toBe(201)
        await vi.waitFor(async () => expect((await call(b, key.key)).statusCode).toBe(401), {
          timeout: 5_000,
          interval: 10,
        })
        expect((await call(b, rotated.json().key)).statusCode).toBe(200)
      } finally {
        await Promise.all([a.close(), b.close()])
      }
    },
  )

  it('without Redis: the other replica stops accepting the key once its cache TTL (5 s) has passed', async () => {
    const time = createTestClock(TEST_START)
    const { a, b, owner, tenantId, key } = await twoReplicas({ KEY_CACHE_TTL_MS: '5000' }, time)
    try {
      await a.inject({
        method: 'POST',
        url: `/api/tenants/${tenantId}/keys/${key.id}/revoke`,
        headers: owner.headers,
      })
      expect((await call(a, key.key)).statusCode).toBe(401)
      // B has not heard of it: its cached verification is still fresh (this is what the bound is about).
      time.advance(4_999)
      expect((await call(b, key.key)).statusCode).toBe(200)
      time.advance(1)
      expect((await call(b, key.key)).statusCode).toBe(401)
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })
})
