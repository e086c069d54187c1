import { safeEqual, sha256Hex } from '@gatehouse/crypto'
import type { Database } from '@gatehouse/db-kit'
import { type Clock, SECURITY, type ServiceInstance } from '@gatehouse/service-kit'
import Type from 'typebox'
import { cleanupQrSessions } from '../cleanup.ts'
import { errors } from '../errors.ts'
import { BearerHeaders } from '../http/schemas.ts'

export interface AdminRouteDeps {
  db: Database
  clock: Clock
  /** CRON_SECRET; unset refuses every call. */
  cronSecret: string | undefined
}

/** /api/admin on the service itself (the gateway does not route it): maintenance for cron jobs. */
export async function adminRoutes(app: ServiceInstance, { db, clock, cronSecret }: AdminRouteDeps) {
  app.post(
    '/cleanup-qr-sessions',
    {
      config: { problems: [errors.CRON_SECRET_REQUIRED] },
      schema: {
        summary: 'Delete old QR sessions (cron)',
        security: SECURITY.cron,
        headers: BearerHeaders,
        response: {
          200: Type.Object({ success: Type.Boolean(), message: Type.String(), deletedCount: Type.Integer() }),
        },
      },
    },
    async (request) => {
      const presented = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1]
      // Digests have equal lengths, so the comparison does not leak the secret's length either.
      if (!cronSecret || !presented || !safeEqual(sha256Hex(presented), sha256Hex(cronSecret))) {
        throw errors.CRON_SECRET_REQUIRED('Send "Authorization: Bearer $CRON_SECRET".')
      }
      const deletedCount = await cleanupQrSessions(db, clock())
      request.log.info({ deletedCount }, 'qr sessions cleaned up')
      return { success: true, message: `Cleaned up ${deletedCount} QR sessions`, deletedCount }
    },
  )
}
