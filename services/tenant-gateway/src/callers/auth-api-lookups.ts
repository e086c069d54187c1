import { createInternalClient } from '@gatehouse/service-kit'

/** What the gateway asks auth-api over its internal routes (service token, audience auth-api). */
export interface AuthApiLookups {
  /** false for a revoked, expired or unknown session. Throws when auth-api cannot be asked. */
  sessionActive(sessionId: string): Promise<boolean>
  /** Throws when auth-api cannot be asked. */
  userExists(userId: string): Promise<boolean>
  close(): Promise<void>
}

const LOOKUP_TIMEOUT_MS = 2_000

function activeOf(body: unknown): boolean | undefined {
  const active = typeof body === 'object' && body !== null ? (body as { active?: unknown }).active : undefined
  return typeof active === 'boolean' ? active : undefined
}

export function createAuthApiLookups(options: { baseUrl: string; internalSecret: string }): AuthApiLookups {
  const client = createInternalClient({
    baseUrl: options.baseUrl,
    secret: options.internalSecret,
    issuer: 'tenant-gateway',
    audience: 'auth-api',
    timeoutMs: LOOKUP_TIMEOUT_MS,
  })
  const answerOf = async (path: string): Promise<boolean> => {
    const { status, body } = await client.request('GET', path)
    if (status === 404) return false
    const active = status === 200 ? activeOf(body) : undefined
    if (active === undefined) throw new Error(`auth-api answered ${status} to ${path.split('/')[2]}`)
    return active
  }
  return {
    sessionActive: (sessionId) => answerOf(`/internal/sessions/${encodeURIComponent(sessionId)}`),
    userExists: (userId) => answerOf(`/internal/users/${encodeURIComponent(userId)}`),
    close: () => client.close(),
  }
}
