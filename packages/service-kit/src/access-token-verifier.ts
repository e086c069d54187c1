import { decodeProtectedHeader, type JWK, type JWTPayload, jwtVerify } from 'jose'
import type { Clock } from './clock.ts'

/** RFC 9068's media type: keeps our other JWTs (service tokens, the gateway's context) from passing as user tokens. */
export const ACCESS_TOKEN_TYPE = 'at+jwt'

/** How far ahead of this clock a token's `iat` may be, for clocks that disagree a little. */
export const ACCESS_TOKEN_CLOCK_SKEW_SECONDS = 5

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const ASYMMETRIC = ['EdDSA', 'ES256']

export interface AccessTokenClaims {
  userId: string
  sessionId: string
  issuedAt: Date
  expiresAt: Date
}

/** The token is not one of our valid user access tokens (any reason: the caller gets one answer, a 401). */
export class AccessTokenRejected extends Error {
  constructor(readonly reason: string) {
    super(`access token rejected: ${reason}`)
    this.name = 'AccessTokenRejected'
  }
}

/** A verification key: a KeyObject/CryptoKey, or a public JWK. */
export type VerificationKey = Parameters<typeof jwtVerify>[1] & object

export interface AccessTokenPolicy {
  issuer: string
  audience: string
  /** ACCESS_TOKEN_TTL: a token living longer than this was not minted by us. */
  maxLifetimeSeconds: number
  clock: Clock
  /**
   * The key for an asymmetric token's `kid` and `alg`: throw AccessTokenRejected when there is none; any other
   * failure (database down, JWKS unreachable) passes through to the caller as it is, to answer 503.
   */
  keyFor(header: { kid: string; alg: string }): Promise<VerificationKey | JWK>
  /** The seeds' JWT_ACCESS_SECRET: HS256 tokens are accepted (and need no kid) only when it is set. */
  hs256Secret?: string
}

export interface AccessTokenVerifier {
  verify(token: string): Promise<AccessTokenClaims>
}

/**
 * The one user-token check, shared by auth-api (its keys from its database) and the gateway (auth-api's JWKS):
 * `typ` at+jwt; `kid` on asymmetric tokens; `sub` and `sid` uuids; `iss` and `aud`; `exp` in the future; `iat` not
 * in the future beyond a few seconds; and no longer a lifetime than the configured one (`exp - iat`), so a token
 * claiming a year-long or future-dated life is refused even when its signature is good.
 */
export function createAccessTokenVerifier(policy: AccessTokenPolicy): AccessTokenVerifier {
  const secret = policy.hs256Secret ? new TextEncoder().encode(policy.hs256Secret) : undefined
  const algorithms = secret ? [...ASYMMETRIC, 'HS256'] : ASYMMETRIC
  return {
    async verify(token) {
      let header: ReturnType<typeof decodeProtectedHeader>
      try {
        header = decodeProtectedHeader(token)
      } catch {
        throw new AccessTokenRejected('malformed')
      }
      const { alg, kid } = header
      if (typeof alg !== 'string' || !algorithms.includes(alg)) throw new AccessTokenRejected('algorithm')
      let key: VerificationKey | JWK | Uint8Array
      if (alg === 'HS256' && secret) key = secret
      else if (typeof kid === 'string' && kid.length > 0) key = await policy.keyFor({ kid, alg })
      else throw new AccessTokenRejected('no kid')
      const now = policy.clock()
      let payload: JWTPayload
      try {
        ;({ payload } = await jwtVerify(token, key as VerificationKey, {
          issuer: policy.issuer,
          audience: policy.audience,
          algorithms: [alg],
          typ: ACCESS_TOKEN_TYPE,
          currentDate: now,
          requiredClaims: ['sub', 'sid', 'iat', 'exp'],
        }))
      } catch (error) {
        // jose refuses what is not ours (signature, claims, type); a TypeError is a key of the wrong kind.
        throw new AccessTokenRejected((error as { code?: string }).code ?? (error as Error).name)
      }
      const { sub, sid, iat, exp } = payload
      if (typeof sub !== 'string' || !UUID.test(sub)) throw new AccessTokenRejected('sub')
      if (typeof sid !== 'string' || !UUID.test(sid)) throw new AccessTokenRejected('sid')
      if (typeof iat !== 'number' || typeof exp !== 'number') throw new AccessTokenRejected('times')
      if (iat > now.getTime() / 1000 + ACCESS_TOKEN_CLOCK_SKEW_SECONDS) throw new AccessTokenRejected('iat')
      if (exp - iat > policy.maxLifetimeSeconds) throw new AccessTokenRejected('lifetime')
      return {
        userId: sub,
        sessionId: sid,
        issuedAt: new Date(iat * 1000),
        expiresAt: new Date(exp * 1000),
      }
    },
  }
}
