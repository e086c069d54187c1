import type { Database } from '@gatehouse/db-kit'
import type { ServiceInstance } from '@gatehouse/service-kit'
import Type from 'typebox'
import { errors } from '../errors.ts'
import { Metric } from '../event-input.ts'
import { listAlerts } from '../usage-alerts.ts'
import { Timestamp, Uuid } from './schemas.ts'
import { tenantOf } from './tenant-caller.ts'

export const UsageAlertView = Type.Object({
  id: Uuid,
  metric: Type.String(),
  periodStart: Timestamp,
  thresholdPercent: Type.Integer(),
  /** numeric, as strings. */
  quota: Type.String(),
  used: Type.String(),
  crossedAt: Timestamp,
})

/** GET /api/usage/alerts: the calling tenant's threshold crossings (written by the gateway's quota tracker). */
export async function alertRoutes(app: ServiceInstance, { db }: { db: Database }) {
  app.get(
    '/alerts',
    {
      config: { problems: [errors.RANGE_INVALID] },
      schema: {
        summary: 'List usage alerts',
        description:
          'Each threshold of the monthly quota the tenant crossed (its soft threshold, and 100% when used up), once per period, newest first. `period` (YYYY-MM, UTC) selects one month; `from`/`to` bound the crossing time.',
        querystring: Type.Object({
          metric: Type.Optional(Metric),
          period: Type.Optional(Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$' })),
          from: Type.Optional(Type.String({ format: 'date-time' })),
          to: Type.Optional(Type.String({ format: 'date-time' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
        }),
        response: { 200: Type.Object({ alerts: Type.Array(UsageAlertView) }) },
      },
    },
    async (request) => {
      const { tenantId } = tenantOf(request)
      const { metric, period, limit } = request.query
      const from = request.query.from ? new Date(request.query.from) : undefined
      const to = request.query.to ? new Date(request.query.to) : undefined
      if (from && to && from >= to) throw errors.RANGE_INVALID('`to` must come after `from`.')
      const alerts = await listAlerts(db, {
        tenantId,
        metric,
        periodStart: period ? new Date(`${period}-01T00:00:00Z`) : undefined,
        from,
        to,
        limit: limit ?? 100,
      })
      return { alerts }
    },
  )
}
