import { signCompactJws } from '@gatehouse/crypto'
import { type Clock, ServiceError } from '@gatehouse/service-kit'
import { type CryptoKey, errors as joseErrors, jwtVerify } from 'jose'
import { errors } from './errors.ts'
import type { SigningKeyRing } from './signing-keys.ts'

// RFC 9068's media type: keeps other JWTs of ours (service tokens, internal context) from passing as access tokens.
const ACCESS_TOKEN_TYPE = 'at+jwt'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

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
  const algorithms = secret ? ['EdDSA', 'ES256', 'HS256'] : ['EdDSA', 'ES256']
  const invalid = () => errors.INVALID_ACCESS_TOKEN('The access token is invalid or expired.')

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
      let keyLookupFailure: unknown
      const resolveKey = async (header: {
        alg?: string
        kid?: string
      }): Promise<CryptoKey | Uint8Array | object> => {
        if (header.alg === 'HS256' && secret) return secret
        if (!header.kid) throw invalid()
        const found = await keys.verificationKey(header.kid).catch((error: unknown) => {
          keyLookupFailure = error
          throw error
        })
        // A kid of ours with another algorithm in the header would make jose throw a TypeError (a 500).
        if (!found || found.alg !== header.alg) throw invalid()
        return found.key
      }
      try {
        const { payload } = await jwtVerify(token, resolveKey as Parameters<typeof jwtVerify>[1], {
          issuer: settings.issuer,
          audience: settings.audience,
          algorithms,
          typ: ACCESS_TOKEN_TYPE,
          currentDate: settings.clock(),
          requiredClaims: ['sub', 'sid', 'exp', 'iat'],
        })
        const { sub, sid } = payload
        if (typeof sub !== 'string' || typeof sid !== 'string' || !UUID.test(sub) || !UUID.test(sid))
          throw invalid()
        return { userId: sub, sessionId: sid }
      } catch (error) {
        // The database being down while fetching keys is a 503, not a bad token.
        if (keyLookupFailure) throw keyLookupFailure
        if (error instanceof ServiceError) throw error
        if (error instanceof joseErrors.JOSEError || error instanceof TypeError) throw invalid()
        throw error
      }
    },
  }
}
