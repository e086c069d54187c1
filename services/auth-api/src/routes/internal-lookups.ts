import type { Database } from '@gatehouse/db-kit'
import {
  type Clock,
  SERVICE_TOKEN_HEADER,
  type ServiceInstance,
  verifyServiceToken,
} from '@gatehouse/service-kit'
import { and, eq, gt, isNull } from 'drizzle-orm'
import Type from 'typebox'
import { sessions, users } from '../db/schema/index.ts'
import { errors } from '../errors.ts'
import { Uuid } from '../http/schemas.ts'

export interface InternalLookupDeps {
  db: Database
  clock: Clock
  /** INTERNAL_SECRET; unset refuses every call. */
  internalSecret: string | undefined
}

const ServiceTokenHeaders = Type.Object({
  [SERVICE_TOKEN_HEADER]: Type.Optional(Type.String({ maxLength: 4096 })),
})

/**
 * /internal lookups for the gateway (service token, issuer tenant-gateway): does a user exist (tenant members
 * must be users), and is a session still live (its access tokens are refused once it is not).
 */
export async function internalLookupRoutes(
  app: ServiceInstance,
  { db, clock, internalSecret }: InternalLookupDeps,
) {
  app.addHook('onRequest', async (request) => {
    if (!internalSecret) throw errors.INTERNAL_AUTH_REQUIRED('Internal calls are not configured.')
    await verifyServiceToken(internalSecret, request.headers[SERVICE_TOKEN_HEADER] as string | undefined, {
      audience: 'auth-api',
      allowedIssuers: ['tenant-gateway'],
    })
  })

  app.get(
    '/users/:id',
    {
      config: { problems: [errors.INTERNAL_AUTH_REQUIRED, errors.USER_NOT_FOUND] },
      schema: {
        summary: 'Does this user exist (gateway)',
        headers: ServiceTokenHeaders,
        params: Type.Object({ id: Uuid }),
        response: { 200: Type.Object({ id: Uuid, active: Type.Boolean() }) },
      },
    },
    async (request) => {
      const [user] = await db.select({ id: users.id }).from(users).where(eq(users.id, request.params.id))
      if (!user) throw errors.USER_NOT_FOUND('No user has this id.')
      return { id: user.id, active: true }
    },
  )

  app.get(
    '/sessions/:id',
    {
      config: { problems: [errors.INTERNAL_AUTH_REQUIRED] },
      schema: {
        summary: 'Is this session live (gateway)',
        headers: ServiceTokenHeaders,
        params: Type.Object({ id: Uuid }),
        response: { 200: Type.Object({ active: Type.Boolean() }) },
      },
    },
    async (request) => {
      const [live] = await db
        .select({ id: sessions.id })
        .from(sessions)
        .where(
          and(
            eq(sessions.id, request.params.id),
            isNull(sessions.revokedAt),
            gt(sessions.expiresAt, clock()),
          ),
        )
      return { active: live !== undefined }
    },
  )
}
