import { Pool } from 'undici'
import { SERVICE_TOKEN_HEADER, signServiceToken } from './internal-auth.ts'

// A service token lives 60 s; one is reused for its first half instead of signed per call (jose costs ~0.1 ms).
const SERVICE_TOKEN_TTL_SECONDS = 60
const SERVICE_TOKEN_REUSE_MS = 30_000

export interface InternalResponse {
  status: number
  /** The parsed JSON body; undefined when there is none or it is not JSON. */
  body: unknown
}

export interface InternalClient {
  /** Throws when the service cannot be reached or does not answer within the timeout. */
  request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<InternalResponse>
  close(): Promise<void>
}

/**
 * Calls another service's /internal/* routes over one keep-alive pool, authenticated with a service token
 * (issuer: this service, audience: that one), each call bounded by `timeoutMs`.
 */
export function createInternalClient(options: {
  baseUrl: string
  secret: string
  issuer: string
  audience: string
  timeoutMs: number
  connections?: number
}): InternalClient {
  const pool = new Pool(new URL(options.baseUrl).origin, {
    connections: options.connections ?? 16,
    connectTimeout: options.timeoutMs,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  })
  let token: { value: string; renewAt: number } | undefined
  const serviceToken = async () => {
    // Real time, not an injected clock: the other service checks the token's expiry against its own clock.
    const now = Date.now()
    if (!token || now >= token.renewAt) {
      const value = await signServiceToken(options.secret, {
        issuer: options.issuer,
        audience: options.audience,
        ttlSeconds: SERVICE_TOKEN_TTL_SECONDS,
      })
      token = { value, renewAt: now + SERVICE_TOKEN_REUSE_MS }
    }
    return token.value
  }
  return {
    async request(method, path, body) {
      const response = await pool.request({
        method,
        path,
        headers: {
          [SERVICE_TOKEN_HEADER]: await serviceToken(),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(options.timeoutMs),
      })
      const parsed: unknown = await response.body.json().catch(() => undefined)
      return { status: response.statusCode, body: parsed }
    },
    close: () => pool.close(),
  }
}
