import type { Database } from '@gatehouse/db-kit'
import type { ServiceInstance } from '@gatehouse/service-kit'
import Type from 'typebox'
import { errors } from '../errors.ts'
import { listTriggerLogs, triggerStats } from '../trigger-logs.ts'
import { listWebhookDeliveries } from '../webhooks/index.ts'
import { decodeCursor, encodeCursor } from './cursor.ts'
import {
  ActionTypeSchema,
  Cursor,
  DeliveryView,
  Limit,
  LogView,
  NextCursor,
  Timestamp,
  TriggerEventSchema,
  Uuid,
} from './schemas.ts'

const SeqCursor = Type.Object({ seq: Type.Integer({ minimum: 1 }) })
const DateTime = Type.String({ format: 'date-time' })

/** /api/bom-triggers/logs, /stats and /deliveries: what the tenant's triggers did. */
export async function activityRoutes(app: ServiceInstance, { db }: { db: Database }) {
  app.get(
    '/logs',
    {
      config: { problems: [errors.INVALID_CURSOR] },
      schema: {
        summary: 'List trigger executions',
        querystring: Type.Object({
          triggerId: Type.Optional(Uuid),
          taskId: Type.Optional(Uuid),
          success: Type.Optional(Type.Boolean()),
          from: Type.Optional(DateTime),
          to: Type.Optional(DateTime),
          limit: Limit,
          cursor: Type.Optional(Cursor),
        }),
        response: { 200: Type.Object({ items: Type.Array(LogView), nextCursor: NextCursor }) },
      },
    },
    async (request) => {
      const { triggerId, taskId, success, from, to, limit, cursor } = request.query
      const before = decodeCursor<{ seq: number }>(SeqCursor, cursor)
      const page = await listTriggerLogs(db, request.tenantId, {
        limit,
        ...(triggerId ? { triggerId } : {}),
        ...(taskId ? { taskId } : {}),
        ...(success === undefined ? {} : { success }),
        ...(from ? { from: new Date(from) } : {}),
        ...(to ? { to: new Date(to) } : {}),
        ...(before ? { beforeSeq: before.seq } : {}),
      })
      return {
        items: page.items,
        nextCursor: page.nextSeq === undefined ? null : encodeCursor({ seq: page.nextSeq }),
      }
    },
  )

  app.get(
    '/stats',
    {
      config: { problems: [] },
      schema: {
        summary: 'Trigger execution statistics',
        querystring: Type.Object({ from: Type.Optional(DateTime), to: Type.Optional(DateTime) }),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                triggerId: Uuid,
                name: Type.String(),
                triggerEvent: TriggerEventSchema,
                actionType: ActionTypeSchema,
                isActive: Type.Boolean(),
                executions: Type.Integer(),
                successes: Type.Integer(),
                failures: Type.Integer(),
                lastExecutedAt: Type.Union([Timestamp, Type.Null()]),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const { from, to } = request.query
      return {
        items: await triggerStats(db, request.tenantId, {
          ...(from ? { from: new Date(from) } : {}),
          ...(to ? { to: new Date(to) } : {}),
        }),
      }
    },
  )

  app.get(
    '/deliveries',
    {
      config: { problems: [errors.INVALID_CURSOR] },
      schema: {
        summary: 'List webhook deliveries',
        querystring: Type.Object({
          triggerId: Type.Optional(Uuid),
          status: Type.Optional(Type.Enum(['pending', 'delivered', 'failed'])),
          limit: Limit,
          cursor: Type.Optional(Cursor),
        }),
        response: { 200: Type.Object({ items: Type.Array(DeliveryView), nextCursor: NextCursor }) },
      },
    },
    async (request) => {
      const { triggerId, status, limit, cursor } = request.query
      const before = decodeCursor<{ seq: number }>(SeqCursor, cursor)
      const rows = await listWebhookDeliveries(db, {
        tenantId: request.tenantId,
        limit,
        ...(triggerId ? { endpointKey: triggerId } : {}),
        ...(status ? { status } : {}),
        ...(before ? { beforeSeq: before.seq } : {}),
      })
      const last = rows.at(-1)
      return {
        items: rows.map((row) => ({
          ...row,
          id: row.messageId,
          triggerId: row.endpointKey,
          nextAttemptAt: row.status === 'pending' ? row.nextAttemptAt : null,
        })),
        nextCursor: rows.length === limit && last ? encodeCursor({ seq: last.seq }) : null,
      }
    },
  )
}
