import type { Database } from '@gatehouse/db-kit'
import { addUtcMonths, utcMonthStart } from '@gatehouse/service-kit'
import { and, eq, gte, inArray, lt, sql } from 'drizzle-orm'
import { usageRollupsHourly } from './db/schema/index.ts'

export interface TenantUsage {
  tenantId: string
  quantity: string
  count: number
}

/**
 * Each tenant's use of one metric since the start of the current UTC month, from the rollup: one index range per
 * tenant (tenant, metric, hour), whatever the traffic. Tenants without use answer zero.
 */
export async function monthToDate(
  db: Database,
  query: { tenantIds: readonly string[]; metric: string; now: Date },
): Promise<{ periodStart: Date; periodEnd: Date; usage: TenantUsage[] }> {
  const periodStart = utcMonthStart(query.now)
  const periodEnd = addUtcMonths(query.now, 1)
  const tenantIds = [...new Set(query.tenantIds.map((id) => id.toLowerCase()))]
  const r = usageRollupsHourly
  const rows = await db
    .select({
      tenantId: r.tenantId,
      quantity: sql<string>`sum(${r.quantity})::text`,
      count: sql<number>`sum(${r.eventCount})`.mapWith(Number),
    })
    .from(r)
    .where(
      and(
        inArray(r.tenantId, tenantIds),
        eq(r.metric, query.metric),
        gte(r.hour, periodStart),
        lt(r.hour, periodEnd),
      ),
    )
    .groupBy(r.tenantId)
  const found = new Map(rows.map((row) => [row.tenantId, row]))
  return {
    periodStart,
    periodEnd,
    usage: tenantIds.map((tenantId) => found.get(tenantId) ?? { tenantId, quantity: '0', count: 0 }),
  }
}
