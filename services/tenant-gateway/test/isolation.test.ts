import type { TestDb } from '@gatehouse/db-kit/testing'
import type { ServiceInstance } from '@gatehouse/service-kit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKey, createTenant, type TestUser, userOf } from './factories.ts'
import { type AuthStub, bearer, gateway, openTestDb, startAuthStub } from './fixtures.ts'

let db: TestDb
let auth: AuthStub
let app: ServiceInstance
let ownerA: TestUser
let ownerB: TestUser
let memberB: TestUser
let tenantA: string
let tenantB: string
let keyA: { id: string; key: string }
let keyB: { id: string; key: string }

beforeAll(async () => {
  db = await openTestDb()
  auth = await startAuthStub()
  app = await gateway({ db, auth })
  ownerA = await userOf(auth)
  ownerB = await userOf(auth)
  memberB = await userOf(auth)
  tenantA = await createTenant(app, ownerA, 'A')
  tenantB = await createTenant(app, ownerB, 'B')
  keyA = await createKey(app, ownerA, tenantA)
  keyB = await createKey(app, ownerB, tenantB)
  await app.inject({
    method: 'PUT',
    url: `/api/tenants/${tenantB}/members/${memberB.id}`,
    headers: ownerB.headers,
    payload: { role: 'member' },
  })
})

afterAll(async () => {
  await app?.close()
  await auth?.close()
  await db?.close()
})

/** Every admin route that names a tenant, aimed at tenant B. */
const routesOnB = () => [
  { method: 'GET', url: `/api/tenants/${tenantB}` },
  { method: 'POST', url: `/api/tenants/${tenantB}/suspend` },
  { method: 'POST', url: `/api/tenants/${tenantB}/unsuspend` },
  { method: 'GET', url: `/api/tenants/${tenantB}/members` },
  { method: 'PUT', url: `/api/tenants/${tenantB}/members/${memberB.id}`, payload: { role: 'owner' } },
  { method: 'DELETE', url: `/api/tenants/${tenantB}/members/${memberB.id}` },
  { method: 'POST', url: `/api/tenants/${tenantB}/keys`, payload: { name: 'stolen' } },
  { method: 'GET', url: `/api/tenants/${tenantB}/keys` },
  { method: 'GET', url: `/api/tenants/${tenantB}/keys/${keyB.id}` },
  { method: 'POST', url: `/api/tenants/${tenantB}/keys/${keyB.id}/rotate` },
  { method: 'POST', url: `/api/tenants/${tenantB}/keys/${keyB.id}/revoke` },
]

type Route = { method: string; url: string; payload?: object }
const send = (route: Route, headers: Record<string, string>) =>
  app.inject({
    method: route.method as 'GET',
    url: route.url,
    headers,
    ...(route.payload ? { payload: route.payload } : {}),
  })

async function snapshotOfB() {
  const [tenant, keys, members] = await Promise.all(
    [`/api/tenants/${tenantB}`, `/api/tenants/${tenantB}/keys`, `/api/tenants/${tenantB}/members`].map(
      (url) => app.inject({ method: 'GET', url, headers: ownerB.headers }),
    ),
  )
  return { tenant: tenant!.json(), keys: keys!.json(), members: members!.json() }
}

describe('cross-tenant isolation', () => {
  it('gives tenant A’s owner a 404 on every admin route of tenant B, and changes nothing', async () => {
    const before = await snapshotOfB()
    for (const route of routesOnB()) {
      const response = await send(route, ownerA.headers)
      expect({ route: `${route.method} ${route.url}`, status: response.statusCode }).toEqual({
        route: `${route.method} ${route.url}`,
        status: 404,
      })
      expect(response.json().code).toBe('TENANT_GATEWAY_TENANT_NOT_FOUND')
    }
    expect(await snapshotOfB()).toEqual(before)
  })

  it('refuses tenant A’s API key on every admin route of tenant B (and of A), and changes nothing', async () => {
    const before = await snapshotOfB()
    const onA = routesOnB().map((route) => ({ ...route, url: route.url.replace(tenantB, tenantA) }))
    for (const route of [...routesOnB(), ...onA]) {
      for (const headers of [bearer(keyA.key), { 'x-api-key': keyA.key }]) {
        const response = await send(route, headers)
        expect({ route: `${route.method} ${route.url}`, status: response.statusCode }).toEqual({
          route: `${route.method} ${route.url}`,
          status: 401,
        })
      }
    }
    expect(await snapshotOfB()).toEqual(before)
  })

  it('does not let tenant A reach tenant B’s keys through A’s own routes', async () => {
    const before = await snapshotOfB()
    const crossKeyRoutes = [
      { method: 'GET', url: `/api/tenants/${tenantA}/keys/${keyB.id}` },
      { method: 'POST', url: `/api/tenants/${tenantA}/keys/${keyB.id}/rotate` },
      { method: 'POST', url: `/api/tenants/${tenantA}/keys/${keyB.id}/revoke` },
    ]
    for (const route of crossKeyRoutes) {
      const response = await send(route, ownerA.headers)
      expect(response.statusCode).toBe(404)
      expect(response.json().code).toBe('TENANT_GATEWAY_KEY_NOT_FOUND')
    }
    const listA = await send({ method: 'GET', url: `/api/tenants/${tenantA}/keys` }, ownerA.headers)
    expect(listA.json().keys.map((k: { id: string }) => k.id)).toEqual([keyA.id])
    const membersA = await send({ method: 'GET', url: `/api/tenants/${tenantA}/members` }, ownerA.headers)
    expect(membersA.json().members.map((m: { userId: string }) => m.userId)).toEqual([ownerA.id])
    expect(await snapshotOfB()).toEqual(before)
  })

  it('does not let tenant A’s key act on tenant B’s data through the proxy', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/api/tasks',
      headers: { 'x-api-key': keyA.key, 'x-tenant-id': tenantB },
    })
    expect(response.statusCode).toBe(403)
    const verify = await app.inject({ method: 'POST', url: '/api/keys/verify', payload: { key: keyA.key } })
    expect(verify.json().tenantId).toBe(tenantA)
  })
})
