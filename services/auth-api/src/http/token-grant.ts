import type { FastifyReply, FastifyRequest } from 'fastify'
import type { AuthContext } from '../context.ts'
import { setRefreshCookie, wantsRefreshTokenInBody } from './refresh-cookie.ts'

export interface Grant {
  userId: string
  sessionId: string
  sessionExpiresAt: Date
  refreshToken: string
}

/** The answer of register, login, refresh: a fresh access token, the refresh token as cookie (and body for non-browsers). */
export async function sendGrant(
  ctx: AuthContext,
  request: FastifyRequest,
  reply: FastifyReply,
  grant: Grant,
) {
  const accessToken = await ctx.accessTokens.sign({ userId: grant.userId, sessionId: grant.sessionId })
  setRefreshCookie(reply, ctx.config, grant.refreshToken, grant.sessionExpiresAt, ctx.clock())
  reply.header('cache-control', 'no-store')
  return {
    accessToken,
    tokenType: 'Bearer' as const,
    expiresIn: ctx.accessTokens.ttlSeconds,
    ...(wantsRefreshTokenInBody(request) ? { refreshToken: grant.refreshToken } : {}),
    sessionId: grant.sessionId,
    sessionExpiresAt: grant.sessionExpiresAt.toISOString(),
  }
}
