import { randomUUID } from 'node:crypto'
import type { Database } from '@gatehouse/db-kit'
import type { ServiceInstance } from '@gatehouse/service-kit'
import { asc, eq } from 'drizzle-orm'
import { auditLogs } from '../src/db/schema/index.ts'

export const PASSWORD = 'correct horse battery staple'

export function uniqueEmail(label = 'user'): string {
  return `${label}-${randomUUID().slice(0, 8)}@example.com`
}

export interface Grant {
  accessToken: string
  tokenType: 'Bearer'
  expiresIn: number
  refreshToken: string
  sessionId: string
  sessionExpiresAt: string
  user: { id: string; email: string; name: string; emailVerified: boolean; createdAt: string }
}

export async function register(
  app: ServiceInstance,
  input: { email?: string; name?: string; password?: string; headers?: Record<string, string> } = {},
): Promise<Grant & { email: string; password: string }> {
  const email = input.email ?? uniqueEmail()
  const password = input.password ?? PASSWORD
  const response = await app.inject({
    method: 'POST',
    url: '/api/auth/register',
    headers: input.headers,
    payload: { email, name: input.name ?? 'Test User', password, confirmPassword: password },
  })
  if (response.statusCode !== 201) throw new Error(`register failed: ${response.statusCode} ${response.body}`)
  return { ...(response.json() as Grant), email, password }
}

export function login(
  app: ServiceInstance,
  email: string,
  password: string,
  headers: Record<string, string> = {},
) {
  return app.inject({ method: 'POST', url: '/api/auth/login', headers, payload: { email, password } })
}

export function refresh(app: ServiceInstance, refreshToken: string, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url: '/api/auth/refresh', headers, payload: { refreshToken } })
}

export function me(app: ServiceInstance, accessToken: string) {
  return app.inject({
    method: 'GET',
    url: '/api/auth/me',
    headers: { authorization: `Bearer ${accessToken}` },
  })
}

export function bearer(accessToken: string) {
  return { authorization: `Bearer ${accessToken}` }
}

export function postJson(
  app: ServiceInstance,
  url: string,
  payload: object,
  headers: Record<string, string> = {},
) {
  return app.inject({ method: 'POST', url, payload, headers })
}

/** The audit trail of one user, oldest first. */
export async function auditEventsOf(db: Database, userId: string): Promise<string[]> {
  const rows = await db
    .select({ event: auditLogs.eventType })
    .from(auditLogs)
    .where(eq(auditLogs.userId, userId))
    .orderBy(asc(auditLogs.createdAt), asc(auditLogs.id))
  return rows.map((row) => row.event)
}
