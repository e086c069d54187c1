import { Readable } from 'node:stream'
import type { DbHandle } from '@gatehouse/db-kit'
import type { ServiceInstance } from '@gatehouse/service-kit'
import Type from 'typebox'
import { csvChunks } from '../csv.ts'
import { errors } from '../errors.ts'
import { Metric } from '../event-input.ts'
import { exportPages } from '../export-rows.ts'
import { tenantOf } from './tenant-caller.ts'

const MAX_EXPORT_DAYS = 400

/**
 * GET /api/usage/export.csv: a period's raw events, voids included as negative rows linked to what they void
 * (the quantities of a period sum to its net use), streamed from the database as the client reads.
 */
export async function exportRoutes(
  app: ServiceInstance,
  { db, concurrency }: { db: DbHandle; concurrency: number },
) {
  let running = 0

  app.get(
    '/export.csv',
    {
      config: { problems: [errors.RANGE_INVALID, errors.EXPORT_BUSY] },
      schema: {
        summary: 'Export usage events as CSV',
        description:
          "A period's raw events in time order, streamed; voids are rows with a negative quantity and `voids_event_id`.",
        querystring: Type.Object({
          from: Type.String({ format: 'date-time' }),
          to: Type.String({ format: 'date-time' }),
          metric: Type.Optional(Metric),
        }),
        response: { 200: Type.Unsafe<Readable>(Type.String({ description: 'text/csv, streamed' })) },
      },
    },
    async (request, reply) => {
      const { tenantId } = tenantOf(request)
      const from = new Date(request.query.from)
      const to = new Date(request.query.to)
      if (to <= from) throw errors.RANGE_INVALID('`to` must be after `from`.')
      if (to.getTime() - from.getTime() > MAX_EXPORT_DAYS * 24 * 3600 * 1000) {
        throw errors.RANGE_INVALID(`An export covers at most ${MAX_EXPORT_DAYS} days.`)
      }
      if (running >= concurrency) {
        throw errors
          .EXPORT_BUSY('Other exports are running; retry shortly.')
          .withHeaders({ 'retry-after': '5' })
      }
      running += 1
      const chunks = csvChunks(exportPages(db, { tenantId, from, to, metric: request.query.metric }))
      try {
        // The first page is read before the status is sent, so a database failure is still a problem+json answer.
        const header = await chunks.next()
        const firstPage = await chunks.next()
        // One page waiting at most: a page is ~1,000 rows, and the cursor reads the next only when asked.
        const stream = Readable.from(replay([header, firstPage], chunks), { highWaterMark: 1 })
        stream.once('close', () => {
          running -= 1
        })
        reply
          .type('text/csv; charset=utf-8')
          .header('cache-control', 'no-store')
          .header('content-disposition', `attachment; filename="usage-${stamp(from)}-${stamp(to)}.csv"`)
        return reply.send(stream)
      } catch (error) {
        running -= 1
        await chunks.return(undefined)
        throw error
      }
    },
  )
}

async function* replay(taken: IteratorResult<string>[], rest: AsyncGenerator<string>) {
  for (const item of taken) {
    if (item.done) return
    yield item.value
  }
  yield* rest
}

function stamp(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
}
