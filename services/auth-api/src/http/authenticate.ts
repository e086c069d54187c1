import type { Database } from '@gatehouse/db-kit'
import type { Clock } from '@gatehouse/service-kit'
import type { FastifyRequest } from 'fastify'
import type { AccessTokens } from '../access-tokens.ts'
import type { Session, User } from '../db/schema/index.ts'
import { errors } from '../errors.ts'
import { findActiveSession } from '../sessions.ts'

export interface Authenticated {
  user: User
  session: Session
}

export interface AuthenticateDeps {
  db: Database
  clock: Clock
  accessTokens: AccessTokens
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (!header) return undefined
  const match = /^Bearer ([^\s]+)$/i.exec(header)
  return match?.[1]
}

/**
 * A valid access token is not enough: its session must still be live, so logout and revocation take effect at
 * once on this service (other services see them when the token expires).
 */
export async function authenticate(
  { db, clock, accessTokens }: AuthenticateDeps,
  request: FastifyRequest,
): Promise<Authenticated> {
  const token = bearerToken(request)
  if (!token) throw errors.UNAUTHENTICATED('Send an access token as "Authorization: Bearer <token>".')
  const claims = await accessTokens.verify(token)
  const found = await findActiveSession(db, { ...claims, now: clock() })
  if (!found) throw errors.SESSION_EXPIRED('The session of this access token has ended.')
  return found
}
