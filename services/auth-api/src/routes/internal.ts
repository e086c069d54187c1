import {
  SERVICE_TOKEN_HEADER,
  ServiceError,
  type ServiceInstance,
  verifyServiceToken,
} from '@gatehouse/service-kit'
import { eq } from 'drizzle-orm'
import Type from 'typebox'
import type { AuthContext } from '../context.ts'
import { users } from '../db/schema/index.ts'
import { errors } from '../errors.ts'
import { SessionGrant, Uuid } from '../http/schemas.ts'
import { openSession } from '../sessions.ts'
import { userView } from '../users.ts'

const IpAddress = Type.Union([Type.String({ format: 'ipv4' }), Type.String({ format: 'ipv6' })])

/**
 * /internal: for other services only, authenticated by a service token (HS256 over INTERNAL_SECRET, audience
 * auth-api). The gateway does not route /internal/*.
 */
export async function internalRoutes(app: ServiceInstance, { ctx }: { ctx: AuthContext }) {
  const { config, db, clock } = ctx

  app.post(
    '/sessions',
    {
      schema: {
        headers: Type.Object({ [SERVICE_TOKEN_HEADER]: Type.Optional(Type.String({ maxLength: 4096 })) }),
        body: Type.Object({
          userId: Uuid,
          userAgent: Type.Optional(Type.String({ maxLength: 512 })),
          ip: Type.Optional(IpAddress),
        }),
        response: { 201: SessionGrant },
      },
    },
    async (request, reply) => {
      if (!config.INTERNAL_SECRET) {
        throw new ServiceError(
          'INTERNAL_AUTH_REQUIRED',
          401,
          'Unauthorized',
          'Internal calls are not configured.',
        )
      }
      const caller = await verifyServiceToken(config.INTERNAL_SECRET, request.headers[SERVICE_TOKEN_HEADER], {
        audience: 'auth-api',
        allowedIssuers: ['qr-auth'],
      })
      const { userId, userAgent, ip } = request.body
      const [user] = await db.select().from(users).where(eq(users.id, userId))
      if (!user) throw errors.USER_NOT_FOUND('No user has this id.')
      const now = clock()
      // The session records the end user's device, as qr-auth saw it, not qr-auth's own address.
      const client = { ip: ip ?? request.ip, ...(userAgent ? { userAgent } : {}) }
      const session = await openSession(db, {
        userId,
        client,
        now,
        ttlSeconds: config.SESSION_TTL,
        audit: { event: 'LOGIN_SUCCESS', details: { method: caller } },
      })
      const accessToken = await ctx.accessTokens.sign({ userId, sessionId: session.sessionId })
      reply.code(201).header('cache-control', 'no-store')
      return {
        accessToken,
        tokenType: 'Bearer' as const,
        expiresIn: ctx.accessTokens.ttlSeconds,
        refreshToken: session.refreshToken,
        sessionId: session.sessionId,
        sessionExpiresAt: session.expiresAt.toISOString(),
        user: userView(user),
      }
    },
  )
}
