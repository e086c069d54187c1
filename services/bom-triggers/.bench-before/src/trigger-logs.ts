import type { Database, RawSql } from '@gatehouse/db-kit'
import { and, desc, eq, gte, lt, lte, sql } from 'drizzle-orm'
import { type BomTrigger, type BomTriggerLog, bomTriggerLogs, bomTriggers } from './db/schema/index.ts'

export interface LogFilter {
  triggerId?: string
  taskId?: string
  success?: boolean
  from?: Date
  to?: Date
  beforeSeq?: number
  limit: number
}

/** A tenant's trigger runs, newest first, paged by their insertion order. */
export async function listTriggerLogs(
  db: Database,
  tenantId: string,
  filter: LogFilter,
): Promise<{ items: BomTriggerLog[]; nextSeq?: number }> {
  const rows = await db
    .select()
    .from(bomTriggerLogs)
    .where(
      and(
        eq(bomTriggerLogs.tenantId, tenantId),
        filter.triggerId ? eq(bomTriggerLogs.triggerId, filter.triggerId) : undefined,
        filter.taskId ? eq(bomTriggerLogs.taskId, filter.taskId) : undefined,
        filter.success === undefined ? undefined : eq(bomTriggerLogs.success, filter.success),
        filter.from ? gte(bomTriggerLogs.executedAt, filter.from) : undefined,
        filter.to ? lte(bomTriggerLogs.executedAt, filter.to) : undefined,
        filter.beforeSeq === undefined ? undefined : lt(bomTriggerLogs.seq, filter.beforeSeq),
      ),
    )
    .orderBy(desc(bomTriggerLogs.seq))
    .limit(filter.limit + 1)
  const items = rows.slice(0, filter.limit)
  const last = items.at(-1)
  return { items, ...(rows.length > filter.limit && last ? { nextSeq: last.seq } : {}) }
}

export interface TriggerStats {
  triggerId: string
  name: string
  triggerEvent: BomTrigger['triggerEvent']
  actionType: BomTrigger['actionType']
  isActive: boolean
  executions: number
  successes: number
  failures: number
  lastExecutedAt: Date | null
}

/** Executions and successes per trigger of the tenant (the seed's "count executions by trigger"), zeros included. */
export async function triggerStats(
  db: Database,
  tenantId: string,
  range: { from?: Date; to?: Date },
): Promise<TriggerStats[]> {
  const inRange = and(
    eq(bomTriggerLogs.triggerId, bomTriggers.id),
    eq(bomTriggerLogs.tenantId, tenantId),
    range.from ? gte(bomTriggerLogs.executedAt, range.from) : undefined,
    range.to ? lte(bomTriggerLogs.executedAt, range.to) : undefined,
  )
  const rows = await db
    .select({
      triggerId: bomTriggers.id,
      name: bomTriggers.name,
      triggerEvent: bomTriggers.triggerEvent,
      actionType: bomTriggers.actionType,
      isActive: bomTriggers.isActive,
      executions: sql<number>`count(${bomTriggerLogs.id})::int`,
      successes: sql<number>`(count(${bomTriggerLogs.id}) filter (where ${bomTriggerLogs.success}))::int`,
      lastExecutedAt: sql<Date | null>`max(${bomTriggerLogs.executedAt})`.mapWith(bomTriggerLogs.executedAt),
    })
    .from(bomTriggers)
    .leftJoin(bomTriggerLogs, inRange)
    .where(eq(bomTriggers.tenantId, tenantId))
    .groupBy(bomTriggers.id)
    .orderBy(sql`count(${bomTriggerLogs.id}) desc`, bomTriggers.name)
  return rows.map((row) => ({ ...row, failures: row.executions - row.successes }))
}

/** The seed's maintenance function: logs older than `days` days, for every tenant. */
export async function cleanupOldTriggerLogs(raw: RawSql, days: number): Promise<number> {
  const [row] = await raw.query<{ removed: number }>('select cleanup_old_trigger_logs($1) as removed', [days])
  return row?.removed ?? 0
}
