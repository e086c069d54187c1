import type { FastifyRequest } from 'fastify'
import type { AuthContext } from '../context.ts'
import type { Session, User } from '../db/schema/index.ts'
import { errors } from '../errors.ts'
import { findActiveSession } from '../sessions.ts'

export interface Authenticated {
  user: User
  session: Session
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
export async function authenticate(ctx: AuthContext, request: FastifyRequest): Promise<Authenticated> {
  const token = bearerToken(request)
  if (!token) throw errors.UNAUTHENTICATED('Send an access token as "Authorization: Bearer <token>".')
  const claims = await ctx.accessTokens.verify(token)
  const found = await findActiveSession(ctx.db, { ...claims, now: ctx.clock() })
  if (!found) throw errors.SESSION_EXPIRED('The session of this access token has ended.')
  return found
}
