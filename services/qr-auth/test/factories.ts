import { randomUUID } from 'node:crypto'
import type { ServiceInstance } from '@gatehouse/service-kit'
import type { AuthApi } from './fixtures.ts'
import { phoneHeaders } from './fixtures.ts'

export const DESKTOP_USER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/128.0 Safari/537.36'
const PASSWORD = 'Correct-Horse-9-Battery'

export interface PhoneUser {
  userId: string
  accessToken: string
}

/** A user registered in the real auth-api, as the phone is signed in. */
export async function registerUser(authApi: AuthApi): Promise<PhoneUser> {
  const email = `phone-${randomUUID().slice(0, 8)}@example.com`
  const response = await authApi.app.inject({
    method: 'POST',
    url: '/api/auth/register',
    payload: { email, name: 'Phone User', password: PASSWORD, confirmPassword: PASSWORD },
  })
  if (response.statusCode !== 201) throw new Error(`register: ${response.statusCode} ${response.body}`)
  const body = response.json()
  return { userId: body.user.id, accessToken: body.accessToken }
}

/** The user's sessions as auth-api lists them. */
export async function sessionsOf(authApi: AuthApi, accessToken: string) {
  const response = await authApi.app.inject({
    method: 'GET',
    url: '/api/auth/sessions',
    headers: { authorization: `Bearer ${accessToken}` },
  })
  return response.json().sessions as Array<{ id: string; userAgent: string | null; ip: string | null }>
}

export interface CreatedSession {
  id: string
  pollToken: string
  expiresAt: string
  interval: number
  qr: { payload: string; expiresAt: string }
}

export async function createSession(
  app: ServiceInstance,
  headers: Record<string, string> = { 'user-agent': DESKTOP_USER_AGENT },
): Promise<CreatedSession> {
  const response = await app.inject({ method: 'POST', url: '/api/qr/sessions', headers })
  if (response.statusCode !== 201) throw new Error(`create: ${response.statusCode} ${response.body}`)
  return response.json()
}

/** The one-time code the QR payload carries. */
export function codeIn(payload: string): string {
  return new URL(payload).searchParams.get('code') ?? ''
}

export function poll(app: ServiceInstance, id: string, pollToken: string) {
  return app.inject({
    method: 'GET',
    url: `/api/qr/sessions/${id}`,
    headers: { 'x-qr-poll-token': pollToken },
  })
}

export const phoneHeadersFor = phoneHeaders

export async function scan(app: ServiceInstance, id: string, code: string, userId: string) {
  return app.inject({
    method: 'POST',
    url: `/api/qr/sessions/${id}/scan`,
    headers: await phoneHeaders(userId),
    payload: { code },
  })
}

export async function decide(
  app: ServiceInstance,
  decision: 'approve' | 'reject',
  id: string,
  userId: string,
) {
  return app.inject({
    method: 'POST',
    url: `/api/qr/sessions/${id}/${decision}`,
    headers: await phoneHeaders(userId),
  })
}

export function exchange(
  app: ServiceInstance,
  body: { sessionId: string; exchangeToken: string },
  headers: Record<string, string> = { 'user-agent': DESKTOP_USER_AGENT },
) {
  return app.inject({ method: 'POST', url: '/api/qr/exchange', headers, payload: body })
}

/** A session the phone user scanned and approved; the desktop has not polled yet. */
export async function approvedSession(app: ServiceInstance, user: PhoneUser): Promise<CreatedSession> {
  const session = await createSession(app)
  const scanned = await scan(app, session.id, codeIn(session.qr.payload), user.userId)
  if (scanned.statusCode !== 200) throw new Error(`scan: ${scanned.statusCode} ${scanned.body}`)
  const approved = await decide(app, 'approve', session.id, user.userId)
  if (approved.statusCode !== 200) throw new Error(`approve: ${approved.statusCode} ${approved.body}`)
  return session
}

/** Approved and polled once: the desktop holds its exchange token. */
export async function exchangeableSession(app: ServiceInstance, user: PhoneUser) {
  const session = await approvedSession(app, user)
  const polled = await poll(app, session.id, session.pollToken)
  const exchangeToken = polled.json().exchangeToken as string | undefined
  if (!exchangeToken) throw new Error(`poll: ${polled.statusCode} ${polled.body}`)
  return { ...session, exchangeToken }
}
