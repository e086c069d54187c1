import { jwtVerify, SignJWT } from 'jose'
import type { Caller } from './caller.ts'
import { ServiceError } from './errors.ts'

/** Header carrying the gateway's signed caller context to upstreams; clients can't forge it without INTERNAL_SECRET. */
export const INTERNAL_CONTEXT_HEADER = 'x-gatehouse-context'
/** Header carrying a service-to-service token (e.g. qr-auth calling auth-api's internal endpoints). */
export const SERVICE_TOKEN_HEADER = 'x-internal-token'

export const CONTEXT_TYPE = 'gatehouse-context+jwt'
const SERVICE_TYPE = 'gatehouse-service+jwt'

/** INTERNAL_SECRET as key bytes; shorter secrets are refused (they key every internal HMAC). */
export function internalSecretKey(secret: string): Uint8Array {
  if (secret.length < 32) throw new Error('INTERNAL_SECRET must be at least 32 characters')
  return new TextEncoder().encode(secret)
}

/** The caller as context-token claims; both signers (jose here, the gateway's fast one) write these. */
export function contextClaims(caller: Caller) {
  return { tid: caller.tenantId, uid: caller.userId, kid: caller.keyId, scp: caller.scopes }
}

export async function signInternalContext(
  secret: string,
  caller: Caller,
  options: { audience: string; issuer?: string; ttlSeconds?: number },
): Promise<string> {
  return new SignJWT(contextClaims(caller))
    .setProtectedHeader({ alg: 'HS256', typ: CONTEXT_TYPE })
    .setIssuer(options.issuer ?? 'tenant-gateway')
    .setAudience(options.audience)
    .setIssuedAt()
    .setExpirationTime(`${options.ttlSeconds ?? 60}s`)
    .sign(internalSecretKey(secret))
}

export async function verifyInternalContext(
  secret: string,
  token: string,
  options: { audience: string },
): Promise<Caller> {
  try {
    const { payload } = await jwtVerify(token, internalSecretKey(secret), {
      algorithms: ['HS256'],
      typ: CONTEXT_TYPE,
      audience: options.audience,
      clockTolerance: 5,
    })
    const claim = (name: string) =>
      typeof payload[name] === 'string' ? (payload[name] as string) : undefined
    return {
      tenantId: claim('tid'),
      userId: claim('uid'),
      keyId: claim('kid'),
      scopes: Array.isArray(payload.scp) ? payload.scp.filter((s): s is string => typeof s === 'string') : [],
    }
  } catch {
    throw new ServiceError(
      'INTERNAL_CONTEXT_INVALID',
      401,
      'Unauthorized',
      'The internal context token is invalid or expired.',
    )
  }
}

export async function signServiceToken(
  secret: string,
  options: { issuer: string; audience: string; ttlSeconds?: number },
): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: SERVICE_TYPE })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt()
    .setExpirationTime(`${options.ttlSeconds ?? 60}s`)
    .sign(internalSecretKey(secret))
}

/** Resolves with the calling service's name. */
export async function verifyServiceToken(
  secret: string,
  token: string | undefined,
  options: { audience: string; allowedIssuers?: string[] },
): Promise<string> {
  const denied = new ServiceError(
    'INTERNAL_AUTH_REQUIRED',
    401,
    'Unauthorized',
    'A valid internal service token is required.',
  )
  if (!token) throw denied
  try {
    const { payload } = await jwtVerify(token, internalSecretKey(secret), {
      algorithms: ['HS256'],
      typ: SERVICE_TYPE,
      audience: options.audience,
      clockTolerance: 5,
    })
    const issuer = payload.iss ?? ''
    if (options.allowedIssuers && !options.allowedIssuers.includes(issuer)) throw denied
    return issuer
  } catch {
    throw denied
  }
}
