import { safeEqual, sha256Hex } from '@gatehouse/crypto'
import type { Database, RawSql } from '@gatehouse/db-kit'
import type { Clock, ServiceInstance } from '@gatehouse/service-kit'
import Type from 'typebox'
import { errors } from '../errors.ts'
import { cleanupOldTriggerLogs } from '../trigger-logs.ts'
import { purgeWebhookOutbox } from '../webhooks/index.ts'

export interface AdminRouteDeps {
  db: Database
  raw: RawSql
  clock: Clock
  cronSecret: string | undefined
}

/** /api/admin on the service's own port (the gateway does not route it): maintenance for cron jobs. */
export async function adminRoutes(app: ServiceInstance, { db, raw, clock, cronSecret }: AdminRouteDeps) {
  app.post(
    '/cleanup-trigger-logs',
    {
      config: { problems: [errors.CRON_SECRET_REQUIRED] },
      schema: {
        summary: 'Delete old trigger logs and webhook deliveries (cron)',
        headers: Type.Object({ authorization: Type.Optional(Type.String()) }),
        querystring: Type.Object({ days: Type.Integer({ minimum: 0, maximum: 36_500, default: 90 }) }),
        response: {
          200: Type.Object({
            success: Type.Boolean(),
            message: Type.String(),
            days: Type.Integer(),
            deletedCount: Type.Integer(),
            deletedDeliveries: Type.Integer(),
          }),
        },
      },
    },
    async (request) => {
      const presented = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1]
      // Digests have equal lengths, so the comparison does not leak the secret's length either.
      if (!cronSecret || !presented || !safeEqual(sha256Hex(presented), sha256Hex(cronSecret))) {
        throw errors.CRON_SECRET_REQUIRED('Send "Authorization: Bearer $CRON_SECRET".')
      }
      const { days } = request.query
      const deletedCount = await cleanupOldTriggerLogs(raw, days)
      const deletedDeliveries = await purgeWebhookOutbox(db, new Date(clock().getTime() - days * 86_400_000))
      request.log.info({ days, deletedCount, deletedDeliveries }, 'old trigger logs cleaned up')
      return {
        success: true,
        message: `Removed ${deletedCount} trigger logs and ${deletedDeliveries} finished webhook deliveries older than ${days} days`,
        days,
        deletedCount,
        deletedDeliveries,
      }
    },
  )
}
