import { SECURITY, type ServiceInstance } from '@gatehouse/service-kit'
import Type from 'typebox'
import { deviceLabel } from '../device.ts'
import { errors } from '../errors.ts'
import { type AuthenticateDeps, authenticate } from '../http/authenticate.ts'
import { clientInfo } from '../http/client-info.ts'
import type { RefreshCookie } from '../http/refresh-cookie.ts'
import { BearerHeaders, DateTime, Uuid } from '../http/schemas.ts'
import type { SessionRevocations } from '../session-revocations.ts'
import { listActiveSessions, revokeSessions } from '../sessions.ts'
import { AUTHENTICATION_PROBLEMS } from './problems.ts'

const SessionView = Type.Object({
  id: Uuid,
  device: Type.String(),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  createdAt: DateTime,
  lastActiveAt: DateTime,
  expiresAt: DateTime,
  current: Type.Boolean(),
})

/** /api/auth/sessions: the caller's own devices; another user's session is answered as not found. */
export interface SessionRouteDeps extends AuthenticateDeps {
  refreshCookie: RefreshCookie
  /** Tells the gateway which sessions ended, so their access tokens stop there too. */
  revocations: SessionRevocations
}

export async function sessionRoutes(app: ServiceInstance, deps: SessionRouteDeps) {
  const { db, clock, refreshCookie } = deps

  app.get(
    '/',
    {
      config: { problems: AUTHENTICATION_PROBLEMS },
      schema: {
        summary: 'List my sessions',
        description: 'The live sessions of the signed-in user, most recently active first.',
        security: SECURITY.user,
        headers: BearerHeaders,
        response: { 200: Type.Object({ sessions: Type.Array(SessionView) }) },
      },
    },
    async (request, reply) => {
      const { user, session: current } = await authenticate(deps, request)
      const sessions = await listActiveSessions(db, user.id, clock())
      reply.header('cache-control', 'no-store')
      return {
        sessions: sessions.map((session) => ({
          id: session.id,
          device: deviceLabel(session.userAgent),
          userAgent: session.userAgent,
          ip: session.ip,
          createdAt: session.createdAt.toISOString(),
          lastActiveAt: session.lastUsedAt.toISOString(),
          expiresAt: session.expiresAt.toISOString(),
          current: session.id === current.id,
        })),
      }
    },
  )

  app.delete(
    '/:id',
    {
      config: { problems: [...AUTHENTICATION_PROBLEMS, errors.SESSION_NOT_FOUND] },
      schema: {
        summary: 'End one of my sessions',
        security: SECURITY.user,
        headers: BearerHeaders,
        params: Type.Object({ id: Uuid }),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const { user, session: current } = await authenticate(deps, request)
      const sessionId = request.params.id
      const revoked = await revokeSessions(db, {
        which: { userId: user.id, sessionId },
        reason: 'revoked_by_user',
        now: clock(),
        audit: {
          event: 'SESSION_REVOKED',
          client: clientInfo(request),
          details: { revokedFrom: current.id },
        },
      })
      if (revoked.length === 0) throw errors.SESSION_NOT_FOUND('No active session of yours has this id.')
      deps.revocations.revoked(revoked.map((session) => session.id))
      if (sessionId === current.id) refreshCookie.clear(reply)
      return reply.code(204).send(null)
    },
  )
}
