import { randomUUID } from 'node:crypto'
import type { ServiceInstance } from '@gatehouse/service-kit'
import { type AuthStub, bearer } from './fixtures.ts'

export interface TestUser {
  id: string
  token: string
  headers: { authorization: string }
}

export async function userOf(auth: AuthStub, now?: Date): Promise<TestUser> {
  const id = randomUUID()
  const token = await auth.tokenFor(id, { now })
  return { id, token, headers: bearer(token) }
}

export async function createTenant(app: ServiceInstance, owner: TestUser, name = 'Acme'): Promise<string> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/tenants',
    headers: owner.headers,
    payload: { name },
  })
  if (response.statusCode !== 201) throw new Error(`create tenant: ${response.statusCode} ${response.body}`)
  return response.json().id
}

export async function createKey(
  app: ServiceInstance,
  user: TestUser,
  tenantId: string,
  body: Record<string, unknown> = { name: 'ci' },
): Promise<{ id: string; key: string; prefix: string }> {
  const response = await app.inject({
    method: 'POST',
    url: `/api/tenants/${tenantId}/keys`,
    headers: user.headers,
    payload: body,
  })
  if (response.statusCode !== 201) throw new Error(`create key: ${response.statusCode} ${response.body}`)
  return response.json()
}
