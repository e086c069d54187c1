import type { Database } from '@gatehouse/db-kit'
import type { Clock, ServiceInstance } from '@gatehouse/service-kit'
import Type from 'typebox'
import { errors } from '../errors.ts'
import { Metric } from '../event-input.ts'
import { GRANULARITIES, summarize } from '../summary.ts'
import { NullableUuid, Timestamp } from './schemas.ts'
import { tenantOf } from './tenant-caller.ts'

const Granularity = Type.Enum(GRANULARITIES)

/** GET /api/usage/summary: from the hourly rollup, voids netted out. */
export async function summaryRoutes(app: ServiceInstance, { db, clock }: { db: Database; clock: Clock }) {
  app.get(
    '/summary',
    {
      config: { problems: [errors.RANGE_INVALID] },
      schema: {
        summary: 'Summarize usage',
        description:
          'Sums and counts per hour, day or month (UTC) from the hourly rollup, voids netted out; optionally per API key. Defaults: this month up to now, by day.',
        querystring: Type.Object({
          metric: Type.Optional(Metric),
          from: Type.Optional(Type.String({ format: 'date-time' })),
          to: Type.Optional(Type.String({ format: 'date-time' })),
          granularity: Type.Optional(Type.Enum(GRANULARITIES, { default: 'day' })),
          groupBy: Type.Optional(Type.Literal('key')),
        }),
        response: {
          200: Type.Object({
            metric: Type.Union([Type.String(), Type.Null()]),
            granularity: Granularity,
            groupBy: Type.Union([Type.Literal('key'), Type.Null()]),
            from: Timestamp,
            to: Timestamp,
            buckets: Type.Array(
              Type.Object({
                start: Timestamp,
                metric: Type.String(),
                keyId: Type.Optional(NullableUuid),
                quantity: Type.String(),
                count: Type.Integer(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const { tenantId } = tenantOf(request)
      const { metric, from, to, groupBy } = request.query
      const granularity = request.query.granularity ?? 'day'
      const summary = await summarize(db, {
        tenantId,
        metric,
        from: from ? new Date(from) : undefined,
        to: to ? new Date(to) : undefined,
        granularity,
        byKey: groupBy === 'key',
        now: clock(),
      })
      return { metric: metric ?? null, granularity, groupBy: groupBy ?? null, ...summary }
    },
  )
}
