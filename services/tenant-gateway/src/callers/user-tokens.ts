import { type Clock, ServiceError } from '@gatehouse/service-kit'
import {
  createRemoteJWKSet,
  type FlattenedJWSInput,
  type JWSHeaderParameters,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose'
import type { Config } from '../config.ts'
import { errors } from '../errors.ts'

export interface UserTokenVerifier {
  /** Resolves with the auth-api user id (`sub`); throws a 401 ServiceError for a bad token, 503 when keys can't be fetched. */
  verify(token: string): Promise<{ userId: string }>
}

export type UserTokenSettings = Pick<
  Config,
  'jwksUrl' | 'AUTH_JWT_ISSUER' | 'AUTH_JWT_AUDIENCE' | 'JWT_ACCESS_SECRET'
>

const INVALID = new Set([
  'ERR_JWT_EXPIRED',
  'ERR_JWT_CLAIM_VALIDATION_FAILED',
  'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'ERR_JWS_INVALID',
  'ERR_JWT_INVALID',
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JOSE_ALG_NOT_ALLOWED',
  'ERR_JOSE_NOT_SUPPORTED',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
])

/**
 * auth-api's asymmetric access tokens, verified against its JWKS (jose fetches it once, caches it for 10 minutes
 * and refetches on an unknown kid, at most every 30 s). The seeds' HS256 JWT_ACCESS_SECRET works too when set.
 */
export function createUserTokenVerifier(settings: UserTokenSettings, clock: Clock): UserTokenVerifier {
  const jwks = createRemoteJWKSet(new URL(settings.jwksUrl), {
    timeoutDuration: 2_000,
    cooldownDuration: 30_000,
    cacheMaxAge: 600_000,
  })
  const hsSecret = settings.JWT_ACCESS_SECRET
    ? new TextEncoder().encode(settings.JWT_ACCESS_SECRET)
    : undefined
  const keyFor: JWTVerifyGetKey = (header: JWSHeaderParameters, token: FlattenedJWSInput) =>
    header.alg === 'HS256' && hsSecret ? hsSecret : jwks(header, token)
  const algorithms = hsSecret ? ['EdDSA', 'ES256', 'HS256'] : ['EdDSA', 'ES256']

  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, keyFor, {
          issuer: settings.AUTH_JWT_ISSUER,
          audience: settings.AUTH_JWT_AUDIENCE,
          algorithms,
          currentDate: clock(),
          clockTolerance: 5,
          requiredClaims: ['sub', 'exp'],
        })
        return { userId: payload.sub as string }
      } catch (error) {
        if (error instanceof ServiceError) throw error
        // Anything else (JWKS unreachable, timed out, not a key set) is our failure, not the caller's.
        const code = (error as { code?: string }).code
        if (code && INVALID.has(code))
          throw errors.ACCESS_TOKEN_INVALID('The access token is invalid or expired.')
        throw errors.AUTH_UNAVAILABLE('Access tokens cannot be verified right now; retry shortly.')
      }
    },
  }
}
