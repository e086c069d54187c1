import type { Database } from '@gatehouse/db-kit'
import {
  type Clock,
  SERVICE_TOKEN_HEADER,
  type ServiceInstance,
  verifyServiceToken,
} from '@gatehouse/service-kit'
import { eq } from 'drizzle-orm'
import Type from 'typebox'
import type { AccessTokens } from '../access-tokens.ts'
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
export interface InternalRouteDeps {
  db: Database
  clock: Clock
  accessTokens: AccessTokens
  /** INTERNAL_SECRET; unset refuses every call. */
  internalSecret: string | undefined
  sessionTtlSeconds: number
}

export async function internalRoutes(
  app: ServiceInstance,
  { db, clock, accessTokens, internalSecret, sessionTtlSeconds }: InternalRouteDeps,
) {
  app.post(
    '/sessions',
    {
      config: { problems: [errors.INTERNAL_AUTH_REQUIRED, errors.USER_NOT_FOUND] },
      schema: {
        summary: 'Open a session for a user (qr-auth)',
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
      if (!internalSecret) throw errors.INTERNAL_AUTH_REQUIRED('Internal calls are not configured.')
      const caller = await verifyServiceToken(internalSecret, request.headers[SERVICE_TOKEN_HEADER], {
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
        ttlSeconds: sessionTtlSeconds,
        audit: { event: 'LOGIN_SUCCESS', details: { method: caller } },
      })
      const accessToken = await accessTokens.sign({ userId, sessionId: session.sessionId })
      reply.code(201).header('cache-control', 'no-store')
      return {
        accessToken,
        tokenType: 'Bearer' as const,
        expiresIn: accessTokens.ttlSeconds,
        refreshToken: session.refreshToken,
        sessionId: session.sessionId,
        sessionExpiresAt: session.expiresAt.toISOString(),
        user: userView(user),
      }
    },
  )
}
