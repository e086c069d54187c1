import { safeEqual, sha256Hex } from '@gatehouse/crypto'
import type { Database } from '@gatehouse/db-kit'
import type { Clock, ServiceInstance } from '@gatehouse/service-kit'
import Type from 'typebox'
import { cleanupExpiredSessions, cleanupSpentTokens } from '../cleanup.ts'
import { errors } from '../errors.ts'
import { bearerToken } from '../http/authenticate.ts'
import { BearerHeaders } from '../http/schemas.ts'

export interface AdminRouteDeps {
  db: Database
  clock: Clock
  /** CRON_SECRET; unset refuses every call. */
  cronSecret: string | undefined
  /** Successor boxes older than this are emptied by the cleanup. */
  refreshGraceSeconds: number
}

/** /api/admin: maintenance for cron jobs. Always behind CRON_SECRET; without one configured it refuses everyone. */
export async function adminRoutes(
  app: ServiceInstance,
  { db, clock, cronSecret, refreshGraceSeconds }: AdminRouteDeps,
) {
  app.post(
    '/cleanup-sessions',
    {
      config: { problems: [errors.CRON_SECRET_REQUIRED] },
      schema: {
        summary: 'Delete expired sessions (cron)',
        headers: BearerHeaders,
        response: {
          200: Type.Object({
            success: Type.Boolean(),
            message: Type.String(),
            deletedCount: Type.Integer(),
            deletedRefreshTokens: Type.Integer(),
          }),
        },
      },
    },
    async (request) => {
      const presented = bearerToken(request)
      // Digests have equal lengths, so the comparison does not leak the secret's length either.
      if (!cronSecret || !presented || !safeEqual(sha256Hex(presented), sha256Hex(cronSecret))) {
        throw errors.CRON_SECRET_REQUIRED('Send "Authorization: Bearer $CRON_SECRET".')
      }
      const result = await cleanupExpiredSessions(db, {
        now: clock(),
        graceSeconds: refreshGraceSeconds,
      })
      request.log.info(result, 'expired sessions cleaned up')
      // Seed 003's answer keeps its shape; the spent one-time tokens are counted in the log.
      request.log.info(await cleanupSpentTokens(db, clock()), 'spent one-time tokens cleaned up')
      return {
        success: true,
        message: `Cleaned up ${result.sessions} expired sessions`,
        deletedCount: result.sessions,
        deletedRefreshTokens: result.refreshTokens,
      }
    },
  )
}
