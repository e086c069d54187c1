import { SERVICE_TOKEN_HEADER, signServiceToken } from '@gatehouse/service-kit'
import Type, { type Static } from 'typebox'
import Value from 'typebox/value'
import { Pool } from 'undici'

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

// A service token lives 60 s; one is reused for its first half instead of signed per call (jose costs ~0.1 ms).
const SERVICE_TOKEN_TTL_SECONDS = 60
const SERVICE_TOKEN_REUSE_MS = 30_000
const CONNECTIONS = 32

/** auth-api's POST /internal/sessions over one keep-alive pool, authenticated as qr-auth, with a deadline. */
export function createAuthApiClient(options: {
  baseUrl: string
  internalSecret: string | undefined
  timeoutMs: number
}): AuthApiClient {
  const pool = new Pool(new URL(options.baseUrl).origin, {
    connections: CONNECTIONS,
    connectTimeout: options.timeoutMs,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  })
  let serviceToken: { value: string; renewAt: number } | undefined
  const currentServiceToken = async (secret: string) => {
    // Real time, not the injected clock: auth-api checks the token's expiry against its own clock.
    const now = Date.now()
    if (!serviceToken || now >= serviceToken.renewAt) {
      const value = await signServiceToken(secret, {
        issuer: 'qr-auth',
        audience: 'auth-api',
        ttlSeconds: SERVICE_TOKEN_TTL_SECONDS,
      })
      serviceToken = { value, renewAt: now + SERVICE_TOKEN_REUSE_MS }
    }
    return serviceToken.value
  }

  return {
    async openSession(input) {
      if (!options.internalSecret) return { ok: false, failure: 'unavailable', reason: 'no INTERNAL_SECRET' }
      try {
        const response = await pool.request({
          method: 'POST',
          path: '/internal/sessions',
          headers: {
            'content-type': 'application/json',
            [SERVICE_TOKEN_HEADER]: await currentServiceToken(options.internalSecret),
          },
          body: JSON.stringify(input),
          signal: AbortSignal.timeout(options.timeoutMs),
        })
        const body: unknown = await response.body.json().catch(() => undefined)
        if (response.statusCode === 201 && Value.Check(SessionGrant, body)) return { ok: true, grant: body }
        if (response.statusCode === 404 && codeOf(body) === 'AUTH_API_USER_NOT_FOUND')
          return { ok: false, failure: 'user-not-found' }
        return { ok: false, failure: 'unavailable', reason: `auth-api answered ${response.statusCode}` }
      } catch (error) {
        const code = (error as { code?: string }).code ?? (error as Error).name
        return { ok: false, failure: 'unavailable', reason: `auth-api unreachable (${code})` }
      }
    },
    close: () => pool.close(),
  }
}

function codeOf(body: unknown): unknown {
  return typeof body === 'object' && body !== null ? (body as { code?: unknown }).code : undefined
}
