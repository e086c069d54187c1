import { createInternalClient } from '@gatehouse/service-kit'
import Type, { type Static } from 'typebox'
import { Compile } from 'typebox/compile'

const IsoDateTime = Type.String({ format: 'date-time' })

/** auth-api's answer to POST /internal/sessions: the grant of a password login, with the user. */
export const SessionGrant = Type.Object({
  accessToken: Type.String({ minLength: 1 }),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer(),
  refreshToken: Type.String({ minLength: 1 }),
  sessionId: Type.String({ format: 'uuid' }),
  sessionExpiresAt: IsoDateTime,
  user: Type.Object({
    id: Type.String({ format: 'uuid' }),
    email: Type.String(),
    name: Type.String(),
    emailVerified: Type.Boolean(),
    createdAt: IsoDateTime,
  }),
})
export type SessionGrant = Static<typeof SessionGrant>
// Compiled once: every exchange checks auth-api's answer before handing it on.
const sessionGrant = Compile(SessionGrant)

export type OpenSessionResult =
  | { ok: true; grant: SessionGrant }
  /** auth-api knows no such user (deleted since the approval): retrying cannot help. */
  | { ok: false; failure: 'user-not-found' }
  /** Unreachable, too slow, misconfigured or an unexpected answer: the session may be retried. */
  | { ok: false; failure: 'unavailable'; reason: string }

export interface AuthApiClient {
  openSession(input: { userId: string; userAgent?: string; ip?: string }): Promise<OpenSessionResult>
  close(): Promise<void>
}

/** auth-api's POST /internal/sessions, as qr-auth (service-kit's internal client: keep-alive, service token, deadline). */
export function createAuthApiClient(options: {
  baseUrl: string
  internalSecret: string | undefined
  timeoutMs: number
}): AuthApiClient {
  const { internalSecret } = options
  const client = internalSecret
    ? createInternalClient({
        baseUrl: options.baseUrl,
        secret: internalSecret,
        issuer: 'qr-auth',
        audience: 'auth-api',
        timeoutMs: options.timeoutMs,
        connections: 32,
      })
    : undefined
  return {
    async openSession(input) {
      if (!client) return { ok: false, failure: 'unavailable', reason: 'no INTERNAL_SECRET' }
      try {
        const { status, body } = await client.request('POST', '/internal/sessions', input)
        if (status === 201 && sessionGrant.Check(body)) return { ok: true, grant: body }
        if (status === 404 && codeOf(body) === 'AUTH_API_USER_NOT_FOUND')
          return { ok: false, failure: 'user-not-found' }
        return { ok: false, failure: 'unavailable', reason: `auth-api answered ${status}` }
      } catch (error) {
        const code = (error as { code?: string }).code ?? (error as Error).name
        return { ok: false, failure: 'unavailable', reason: `auth-api unreachable (${code})` }
      }
    },
    close: async () => client?.close(),
  }
}

function codeOf(body: unknown): unknown {
  return typeof body === 'object' && body !== null ? (body as { code?: unknown }).code : undefined
}
