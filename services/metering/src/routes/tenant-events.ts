import type { Database } from '@gatehouse/db-kit'
import type { Clock, ServiceInstance } from '@gatehouse/service-kit'
import Type from 'typebox'
import { errors } from '../errors.ts'
import { IdempotencyKey, Metric, readTenantEvent } from '../event-input.ts'
import { listEvents } from '../event-list.ts'
import type { EventStore } from '../event-store.ts'
import { countAnswers, ingestBatch } from '../ingest.ts'
import { voidEvent } from '../voids.ts'
import { outcomeCounter } from './outcome-metrics.ts'
import { batchBody, EventView, FieldErrors, RejectReason, Source, Uuid } from './schemas.ts'
import { actorOf, tenantOf } from './tenant-caller.ts'

/** A batch of up to 1,000 events of a few hundred bytes each, with room for properties. */
const TENANT_BATCH_BYTES = 2 * 1024 * 1024

const EventAnswer = Type.Object({
  index: Type.Integer(),
  idempotencyKey: Type.Union([Type.String(), Type.Null()]),
  status: Type.Union([Type.Literal('accepted'), Type.Literal('duplicate'), Type.Literal('rejected')]),
  eventId: Type.Union([Uuid, Type.Null()]),
  reason: Type.Optional(RejectReason),
  errors: Type.Optional(FieldErrors),
})

const VoidAnswer = Type.Object({ voided: EventView, void: EventView })

/** /api/usage/events: the calling tenant's own events, its identity only from the gateway's signed context. */
export async function tenantEventRoutes(
  app: ServiceInstance,
  { db, store, clock }: { db: Database; store: EventStore; clock: Clock },
) {
  const countOutcomes = outcomeCounter(app, 'tenant')

  app.post(
    '/',
    {
      bodyLimit: TENANT_BATCH_BYTES,
      // Each event is answered on its own in `results`; none is thrown.
      config: { problems: [] },
      schema: {
        summary: 'Record usage events',
        description:
          'One to 1,000 events, each with its idempotency key; each is answered on its own (accepted, duplicate or rejected with a reason) and the rest of the batch is stored. Metrics under `api.` are reserved.',
        body: batchBody(1000),
        response: {
          200: Type.Object({
            accepted: Type.Integer(),
            duplicates: Type.Integer(),
            rejected: Type.Integer(),
            results: Type.Array(EventAnswer),
          }),
        },
      },
    },
    async (request) => {
      const caller = tenantOf(request)
      const now = clock()
      const raws = request.body.events
      const answers = await ingestBatch(store, raws, (raw) => readTenantEvent(raw, caller, now), now)
      countOutcomes(answers)
      const results = answers.map((answer) => ({ ...answer, idempotencyKey: keyOf(raws[answer.index]) }))
      return { ...countAnswers(answers), results }
    },
  )

  app.get(
    '/',
    {
      schema: {
        summary: 'List usage events',
        description: 'Newest first, cursor-paginated (`nextCursor`), voids included.',
        querystring: Type.Object({
          metric: Type.Optional(Metric),
          keyId: Type.Optional(Uuid),
          source: Type.Optional(Source),
          from: Type.Optional(Type.String({ format: 'date-time' })),
          to: Type.Optional(Type.String({ format: 'date-time' })),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
          cursor: Type.Optional(Type.String({ maxLength: 200 })),
        }),
        response: {
          200: Type.Object({
            events: Type.Array(EventView),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
      config: { problems: [errors.CURSOR_INVALID] },
    },
    async (request) => {
      const { tenantId } = tenantOf(request)
      const { from, to, ...filters } = request.query
      return listEvents(db, {
        ...filters,
        tenantId,
        keyId: filters.keyId?.toLowerCase(),
        from: from ? new Date(from) : undefined,
        to: to ? new Date(to) : undefined,
      })
    },
  )

  app.post(
    '/:idempotencyKey/void',
    {
      config: { problems: [errors.EVENT_NOT_FOUND, errors.VOID_NOT_ALLOWED, errors.VOID_WINDOW_CLOSED] },
      schema: {
        summary: 'Void a usage event',
        description:
          'Records a compensating event (negative quantity, same hour) linked to the original; the history keeps both. 201 the first time, 200 with the same void after.',
        params: Type.Object({ idempotencyKey: IdempotencyKey }),
        body: Type.Object({
          reason: Type.String({
            minLength: 1,
            maxLength: 500,
            pattern: '^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*$',
          }),
        }),
        response: { 200: VoidAnswer, 201: VoidAnswer },
      },
    },
    async (request, reply) => {
      const caller = tenantOf(request)
      const outcome = await voidEvent(db, store, {
        tenantId: caller.tenantId,
        idempotencyKey: request.params.idempotencyKey,
        by: actorOf(caller),
        reason: request.body.reason,
        now: clock(),
      })
      reply.code(outcome.created ? 201 : 200)
      return {
        voided: { ...outcome.original, voided: true },
        void: { ...outcome.compensating, voided: false },
      }
    },
  )
}

function keyOf(raw: unknown): string | null {
  const key =
    raw && typeof raw === 'object' ? (raw as { idempotencyKey?: unknown }).idempotencyKey : undefined
  return typeof key === 'string' && key.length <= 255 ? key : null
}
