import type { Clock } from '@gatehouse/service-kit'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { AccessTokens } from '../access-tokens.ts'
import type { User } from '../db/schema/index.ts'
import type { OpenedSession } from '../sessions.ts'
import { userView } from '../users.ts'
import { type RefreshCookie, wantsRefreshTokenInBody } from './refresh-cookie.ts'

export interface Grant {
  userId: string
  sessionId: string
  sessionExpiresAt: Date
  refreshToken: string
}

export interface GrantDeps {
  accessTokens: AccessTokens
  refreshCookie: RefreshCookie
  clock: Clock
}

/** The answer of register, login, refresh: a fresh access token, the refresh token as cookie (and body for non-browsers). */
export async function sendGrant(
  { accessTokens, refreshCookie, clock }: GrantDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  grant: Grant,
) {
  const accessToken = await accessTokens.sign({ userId: grant.userId, sessionId: grant.sessionId })
  refreshCookie.set(reply, grant.refreshToken, grant.sessionExpiresAt, clock())
  reply.header('cache-control', 'no-store')
  return {
    accessToken,
    tokenType: 'Bearer' as const,
    expiresIn: accessTokens.ttlSeconds,
    ...(wantsRefreshTokenInBody(request) ? { refreshToken: grant.refreshToken } : {}),
    sessionId: grant.sessionId,
    sessionExpiresAt: grant.sessionExpiresAt.toISOString(),
  }
}

/** A new session's answer (register, login, the second factor): the grant and the user. */
export async function sendSessionGrant(
  deps: GrantDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  { user, session }: { user: User; session: OpenedSession },
) {
  const grant = await sendGrant(deps, request, reply, {
    ...session,
    userId: user.id,
    sessionExpiresAt: session.expiresAt,
  })
  return { ...grant, user: userView(user) }
}
