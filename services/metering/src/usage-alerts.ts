import type { Database } from '@gatehouse/db-kit'
import { and, desc, eq, gte, lt, type SQL } from 'drizzle-orm'
import { usageAlerts } from './db/schema/index.ts'

export interface AlertInput {
  tenantId: string
  metric: string
  periodStart: Date
  thresholdPercent: number
  quota: string
  used: string
  crossedAt: Date
}

export type UsageAlertRow = typeof usageAlerts.$inferSelect

const a = usageAlerts
const keyOf = (alert: { tenantId: string; metric: string; periodStart: Date; thresholdPercent: number }) =>
  `${alert.tenantId.toLowerCase()}\u0000${alert.metric}\u0000${alert.periodStart.getTime()}\u0000${alert.thresholdPercent}`

/**
 * Records each crossing once per (tenant, metric, period, threshold): `ON CONFLICT DO NOTHING`, so a retry, another
 * replica or a concurrent post is a no-op. Answers, per input in order, whether it was new.
 */
export async function recordAlerts(db: Database, alerts: readonly AlertInput[]): Promise<boolean[]> {
  const rows = await db
    .insert(a)
    .values(alerts.map((alert) => ({ ...alert, tenantId: alert.tenantId.toLowerCase() })))
    .onConflictDoNothing({ target: [a.tenantId, a.metric, a.periodStart, a.thresholdPercent] })
    .returning({
      tenantId: a.tenantId,
      metric: a.metric,
      periodStart: a.periodStart,
      thresholdPercent: a.thresholdPercent,
    })
  const created = new Set(rows.map(keyOf))
  // The same crossing twice in one batch: only its first mention is new.
  return alerts.map((alert) => created.delete(keyOf(alert)))
}

export interface AlertListQuery {
  tenantId: string
  metric?: string | undefined
  periodStart?: Date | undefined
  from?: Date | undefined
  to?: Date | undefined
  limit: number
}

/** A tenant's alerts, newest crossing first. */
export async function listAlerts(db: Database, query: AlertListQuery): Promise<UsageAlertRow[]> {
  const filters: SQL[] = [eq(a.tenantId, query.tenantId)]
  if (query.metric) filters.push(eq(a.metric, query.metric))
  if (query.periodStart) filters.push(eq(a.periodStart, query.periodStart))
  if (query.from) filters.push(gte(a.crossedAt, query.from))
  if (query.to) filters.push(lt(a.crossedAt, query.to))
  return db
    .select()
    .from(a)
    .where(and(...filters))
    .orderBy(desc(a.crossedAt), desc(a.thresholdPercent), desc(a.id))
    .limit(query.limit)
}
