import { safeEqual, sha256Hex } from '@gatehouse/crypto'
import type { ServiceInstance } from '@gatehouse/service-kit'
import Type from 'typebox'
import { cleanupExpiredSessions } from '../cleanup.ts'
import type { AuthContext } from '../context.ts'
import { errors } from '../errors.ts'
import { bearerToken } from '../http/authenticate.ts'
import { BearerHeaders } from '../http/schemas.ts'

/** /api/admin: maintenance for cron jobs. Always behind CRON_SECRET; without one configured it refuses everyone. */
export async function adminRoutes(app: ServiceInstance, { ctx }: { ctx: AuthContext }) {
  const { config, db, clock } = ctx

  app.post(
    '/cleanup-sessions',
    {
      schema: {
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
      if (
        !config.CRON_SECRET ||
        !presented ||
        !safeEqual(sha256Hex(presented), sha256Hex(config.CRON_SECRET))
      ) {
        throw errors.CRON_SECRET_REQUIRED('Send "Authorization: Bearer $CRON_SECRET".')
      }
      const result = await cleanupExpiredSessions(db, {
        now: clock(),
        graceSeconds: config.REFRESH_REUSE_GRACE,
      })
      request.log.info(result, 'expired sessions cleaned up')
      return {
        success: true,
        message: `Cleaned up ${result.sessions} expired sessions`,
        deletedCount: result.sessions,
        deletedRefreshTokens: result.refreshTokens,
      }
    },
  )
}
