import { signCompactJws } from '@gatehouse/crypto'
import {
  ACCESS_TOKEN_TYPE,
  AccessTokenRejected,
  type Clock,
  createAccessTokenVerifier,
} from '@gatehouse/service-kit'
import { errors } from './errors.ts'
import type { SigningKeyRing } from './signing-keys.ts'

export interface AccessTokenClaims {
  userId: string
  sessionId: string
}

export interface AccessTokenSettings {
  issuer: string
  audience: string
  ttlSeconds: number
  clock: Clock
  /** Seed compatibility (JWT_ACCESS_SECRET): sign with HS256 and this secret instead of the JWKS key. */
  hs256Secret?: string
}

export interface AccessTokens {
  ttlSeconds: number
  sign(claims: AccessTokenClaims): Promise<string>
  /** Throws AUTH_API_INVALID_ACCESS_TOKEN (401) for anything but a valid, unexpired access token of ours. */
  verify(token: string): Promise<AccessTokenClaims>
}

export function createAccessTokens(keys: SigningKeyRing, settings: AccessTokenSettings): AccessTokens {
  const secret = settings.hs256Secret ? new TextEncoder().encode(settings.hs256Secret) : undefined
  const invalid = () => errors.INVALID_ACCESS_TOKEN('The access token is invalid or expired.')
  const verifier = createAccessTokenVerifier({
    issuer: settings.issuer,
    audience: settings.audience,
    maxLifetimeSeconds: settings.ttlSeconds,
    clock: settings.clock,
    ...(settings.hs256Secret ? { hs256Secret: settings.hs256Secret } : {}),
    async keyFor({ kid, alg }) {
      const found = await keys.verificationKey(kid)
      // A kid of ours with another algorithm in the header is not a token we signed.
      if (!found || found.alg !== alg) throw new AccessTokenRejected('unknown key')
      return found.key
    },
  })

  return {
    ttlSeconds: settings.ttlSeconds,

    async sign(claims) {
      const iat = Math.floor(settings.clock().getTime() / 1000)
      const payload = {
        sid: claims.sessionId,
        sub: claims.userId,
        iss: settings.issuer,
        aud: settings.audience,
        iat,
        exp: iat + settings.ttlSeconds,
      }
      if (secret) return signCompactJws({ alg: 'HS256', typ: ACCESS_TOKEN_TYPE }, payload, secret)
      const key = await keys.signingKey()
      return signCompactJws({ alg: key.alg, kid: key.kid, typ: ACCESS_TOKEN_TYPE }, payload, key.privateKey)
    },

    async verify(token) {
      // service-kit's one verifier, the same the gateway uses; only where the keys come from differs.
      try {
        const { userId, sessionId } = await verifier.verify(token)
        return { userId, sessionId }
      } catch (error) {
        if (error instanceof AccessTokenRejected) throw invalid()
        // The database being down while fetching keys is a 503, not a bad token.
        throw error
      }
    },
  }
}
