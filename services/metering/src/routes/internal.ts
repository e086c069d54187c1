import type { Database } from '@gatehouse/db-kit'
import {
  type Clock,
  SERVICE_TOKEN_HEADER,
  ServiceError,
  type ServiceInstance,
  utcMonthStart,
  verifyServiceToken,
} from '@gatehouse/service-kit'
import Type from 'typebox'
import { errors } from '../errors.ts'
import { Metric, readGatewayEvent } from '../event-input.ts'
import type { EventStore } from '../event-store.ts'
import { countAnswers, ingestBatch } from '../ingest.ts'
import { monthToDate } from '../month-to-date.ts'
import { recordAlerts } from '../usage-alerts.ts'
import { outcomeCounter } from './outcome-metrics.ts'
import { batchBody, FieldErrors, RejectReason, Timestamp, Uuid } from './schemas.ts'

/** The gateway's batches: up to 5,000 events of a few hundred bytes. */
const GATEWAY_BATCH_BYTES = 8 * 1024 * 1024
const GATEWAY_BATCH_EVENTS = 5000
/** A quota or a use: a non-negative decimal string, numeric in SQL. */
const Count = Type.String({ pattern: '^(0|[1-9][0-9]{0,17})(\\.[0-9]{1,12})?$' })

/**
 * /internal: on metering's own port only (the gateway never routes it), for the gateway's service token
 * (issuer tenant-gateway, audience metering). Checked before the body is read.
 */
export async function internalRoutes(
  app: ServiceInstance,
  { db, store, clock, secret }: { db: Database; store: EventStore; clock: Clock; secret: string | undefined },
) {
  const countOutcomes = outcomeCounter(app, 'gateway')

  app.addHook('onRequest', async (request) => {
    if (!secret) {
      throw new ServiceError(
        'INTERNAL_AUTH_REQUIRED',
        401,
        'Unauthorized',
        'Internal calls are not configured.',
      )
    }
    const header = request.headers[SERVICE_TOKEN_HEADER]
    await verifyServiceToken(secret, Array.isArray(header) ? header[0] : header, {
      audience: 'metering',
      allowedIssuers: ['tenant-gateway'],
    })
  })

  app.post(
    '/usage-events',
    {
      bodyLimit: GATEWAY_BATCH_BYTES,
      // A bad event is answered in `rejected`, never thrown: the batch itself only fails validation or auth.
      config: { problems: [] },
      schema: {
        summary: "Record the gateway's usage events",
        description:
          'Batches of up to 5,000 events of many tenants, idempotent per (tenant, idempotencyKey): resending a batch counts nothing twice.',
        body: batchBody(GATEWAY_BATCH_EVENTS),
        response: {
          200: Type.Object({
            accepted: Type.Integer(),
            duplicates: Type.Integer(),
            /** Only the events refused (an event that will never be accepted: the sender must not retry it). */
            rejected: Type.Array(
              Type.Object({
                index: Type.Integer(),
                reason: RejectReason,
                errors: Type.Optional(FieldErrors),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const now = clock()
      const answers = await ingestBatch(store, request.body.events, (raw) => readGatewayEvent(raw, now), now)
      countOutcomes(answers)
      const { accepted, duplicates } = countAnswers(answers)
      const rejected = answers.flatMap(({ index, status, reason, errors }) =>
        status === 'rejected' && reason ? [{ index, reason, ...(errors ? { errors } : {}) }] : [],
      )
      return { accepted, duplicates, rejected }
    },
  )

  app.post(
    '/usage/month-to-date',
    {
      config: { problems: [] },
      schema: {
        summary: "Tenants' use this month",
        description:
          'Per tenant, the sum and count of one metric (default api.request) since the start of the UTC month, from the rollup.',
        body: Type.Object({
          tenantIds: Type.Array(Uuid, { minItems: 1, maxItems: 1000 }),
          metric: Type.Optional(Type.String({ ...Metric, default: 'api.request' })),
        }),
        response: {
          200: Type.Object({
            metric: Type.String(),
            periodStart: Timestamp,
            periodEnd: Timestamp,
            asOf: Timestamp,
            usage: Type.Array(
              Type.Object({ tenantId: Uuid, quantity: Type.String(), count: Type.Integer() }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const now = clock()
      const metric = request.body.metric ?? 'api.request'
      const result = await monthToDate(db, { tenantIds: request.body.tenantIds, metric, now })
      return { metric, asOf: now, ...result }
    },
  )

  app.post(
    '/usage/alerts',
    {
      config: { problems: [errors.PERIOD_INVALID] },
      schema: {
        summary: 'Record usage threshold crossings',
        description:
          "The gateway's quota tracker: each threshold a tenant's use crossed, recorded once per (tenant, metric, period, threshold); resending is a no-op. Answers, per alert in order, whether it was new.",
        body: Type.Object({
          alerts: Type.Array(
            Type.Object({
              tenantId: Uuid,
              metric: Type.Optional(Type.String({ ...Metric, default: 'api.request' })),
              periodStart: Type.String({ format: 'date-time' }),
              thresholdPercent: Type.Integer({ minimum: 1, maximum: 100 }),
              quota: Count,
              used: Count,
              crossedAt: Type.Optional(Type.String({ format: 'date-time' })),
            }),
            { minItems: 1, maxItems: 1000 },
          ),
        }),
        response: {
          200: Type.Object({
            created: Type.Integer(),
            alerts: Type.Array(Type.Object({ created: Type.Boolean() })),
          }),
        },
      },
    },
    async (request) => {
      const now = clock()
      const alerts = request.body.alerts.map((alert, index) => {
        const periodStart = new Date(alert.periodStart)
        if (utcMonthStart(periodStart).getTime() !== periodStart.getTime()) {
          throw errors.PERIOD_INVALID(`alerts/${index}/periodStart is not the start of a UTC month.`)
        }
        return {
          tenantId: alert.tenantId,
          metric: alert.metric ?? 'api.request',
          periodStart,
          thresholdPercent: alert.thresholdPercent,
          quota: alert.quota,
          used: alert.used,
          crossedAt: alert.crossedAt ? new Date(alert.crossedAt) : now,
        }
      })
      const created = await recordAlerts(db, alerts)
      return {
        created: created.filter(Boolean).length,
        alerts: created.map((isNew) => ({ created: isNew })),
      }
    },
  )
}
