import {
  AccessTokenRejected,
  type Clock,
  createAccessTokenVerifier,
  ServiceError,
} from '@gatehouse/service-kit'
import { createRemoteJWKSet } from 'jose'
import type { Config } from '../config.ts'
import { errors } from '../errors.ts'
import type { SessionGuard } from './session-guard.ts'

export interface UserTokenVerifier {
  /**
   * Resolves with the auth-api user (`sub`) and session (`sid`) of a valid token whose session is still live;
   * throws a 401 ServiceError for a bad token or an ended session, 503 when keys or session cannot be checked.
   */
  verify(token: string): Promise<{ userId: string; sessionId: string }>
}

export type UserTokenSettings = Pick<
  Config,
  'jwksUrl' | 'AUTH_JWT_ISSUER' | 'AUTH_JWT_AUDIENCE' | 'JWT_ACCESS_SECRET' | 'AUTH_ACCESS_TOKEN_TTL'
>

/** jose's answers for a kid that the key set does not hold: the token's fault, not ours. */
const UNKNOWN_KEY = new Set(['ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWKS_MULTIPLE_MATCHING_KEYS'])

/**
 * auth-api's access tokens, checked by service-kit's one verifier (the same auth-api uses) against auth-api's
 * JWKS (jose fetches it once, caches it for 10 minutes and refetches on an unknown kid, at most every 30 s); the
 * seeds' HS256 JWT_ACCESS_SECRET works too when set. Then the session must still be live (SessionGuard).
 */
export function createUserTokenVerifier(
  settings: UserTokenSettings,
  clock: Clock,
  sessions: SessionGuard,
): UserTokenVerifier {
  const jwks = createRemoteJWKSet(new URL(settings.jwksUrl), {
    timeoutDuration: 2_000,
    cooldownDuration: 30_000,
    cacheMaxAge: 600_000,
  })
  const tokens = createAccessTokenVerifier({
    issuer: settings.AUTH_JWT_ISSUER,
    audience: settings.AUTH_JWT_AUDIENCE,
    maxLifetimeSeconds: settings.AUTH_ACCESS_TOKEN_TTL,
    clock,
    ...(settings.JWT_ACCESS_SECRET ? { hs256Secret: settings.JWT_ACCESS_SECRET } : {}),
    async keyFor(header) {
      try {
        return await jwks(header)
      } catch (error) {
        if (UNKNOWN_KEY.has((error as { code?: string }).code ?? ''))
          throw new AccessTokenRejected('unknown kid')
        throw error
      }
    },
  })

  return {
    async verify(token) {
      let claims: Awaited<ReturnType<typeof tokens.verify>>
      try {
        claims = await tokens.verify(token)
      } catch (error) {
        if (error instanceof AccessTokenRejected)
          throw errors.ACCESS_TOKEN_INVALID('The access token is invalid or expired.')
        if (error instanceof ServiceError) throw error
        // Anything else (JWKS unreachable, timed out, not a key set) is our failure, not the caller's.
        throw errors.AUTH_UNAVAILABLE('Access tokens cannot be verified right now; retry shortly.')
      }
      await sessions.assertLive(claims.sessionId)
      return { userId: claims.userId, sessionId: claims.sessionId }
    },
  }
}
