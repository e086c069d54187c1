import type { Database } from '@gatehouse/db-kit'
import { utcMonthStart } from '@gatehouse/service-kit'
import { and, asc, eq, gte, lt, type SQL, sql } from 'drizzle-orm'
import { usageRollupsHourly } from './db/schema/index.ts'
import { errors } from './errors.ts'

export const GRANULARITIES = ['hour', 'day', 'month'] as const
export type Granularity = (typeof GRANULARITIES)[number]

const HOUR_MS = 60 * 60 * 1000
const DAY_MS = 24 * HOUR_MS
/** Bounds the answer: at most 744 hourly or 366 daily buckets per metric (and key). */
const MAX_SPAN_MS: Record<Granularity, number> = {
  hour: 31 * DAY_MS,
  day: 366 * DAY_MS,
  month: 3660 * DAY_MS,
}

export interface SummaryQuery {
  tenantId: string
  metric?: string | undefined
  from?: Date | undefined
  to?: Date | undefined
  granularity: Granularity
  byKey: boolean
  now: Date
}

export interface SummaryBucket {
  start: Date
  metric: string
  keyId?: string | null
  quantity: string
  count: number
}

/**
 * The rollup's answer, never the raw events. The rollup is hourly, so the range widens to whole UTC hours
 * (`from` down, `to` up) and the answer says which range it covered. Defaults: the current UTC month up to now.
 */
export function summaryRange(query: Pick<SummaryQuery, 'from' | 'to' | 'granularity' | 'now'>) {
  const from = floorHour(query.from ?? utcMonthStart(query.now))
  const to = ceilHour(query.to ?? query.now)
  if (to <= from) throw errors.RANGE_INVALID('`to` must be after `from`.')
  if (to.getTime() - from.getTime() > MAX_SPAN_MS[query.granularity]) {
    throw errors.RANGE_INVALID(
      `A ${query.granularity} summary covers at most ${MAX_SPAN_MS[query.granularity] / DAY_MS} days.`,
    )
  }
  return { from, to }
}

export async function summarize(db: Database, query: SummaryQuery) {
  const { from, to } = summaryRange(query)
  const r = usageRollupsHourly
  // A literal from the closed list, not a parameter: GROUP BY must repeat the select's expression exactly.
  const unit = sql.raw(
    `'${GRANULARITIES.find((granularity) => granularity === query.granularity) ?? 'hour'}'`,
  )
  const start = sql<Date>`date_trunc(${unit}, ${r.hour}, 'UTC')`.mapWith(r.hour)
  const filters: SQL[] = [eq(r.tenantId, query.tenantId), gte(r.hour, from), lt(r.hour, to)]
  if (query.metric) filters.push(eq(r.metric, query.metric))
  const groups = query.byKey ? [start, r.metric, r.keyId] : [start, r.metric]
  const rows = await db
    .select({
      start,
      metric: r.metric,
      ...(query.byKey ? { keyId: r.keyId } : {}),
      quantity: sql<string>`sum(${r.quantity})::text`,
      count: sql<number>`sum(${r.eventCount})`.mapWith(Number),
    })
    .from(r)
    .where(and(...filters))
    .groupBy(...groups)
    .orderBy(...groups.map((column) => asc(column)))
  return { from, to, buckets: rows as SummaryBucket[] }
}

function floorHour(at: Date): Date {
  return new Date(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS)
}

function ceilHour(at: Date): Date {
  return new Date(Math.ceil(at.getTime() / HOUR_MS) * HOUR_MS)
}
