import { id, timestamptz } from '@gatehouse/db-kit/columns'
import { sql } from 'drizzle-orm'
import { check, index, integer, numeric, pgTable, text, unique, uuid } from 'drizzle-orm/pg-core'

/**
 * A tenant's use crossing a threshold of its quota (Lago's `usage_threshold_reached`), written by the gateway's
 * quota tracker. The unique key makes each threshold once per tenant, metric and period, whatever the replicas.
 */
export const usageAlerts = pgTable(
  'usage_alerts',
  {
    id: id(),
    tenantId: uuid().notNull(),
    metric: text().notNull(),
    /** Start of the UTC month the quota is for. */
    periodStart: timestamptz().notNull(),
    thresholdPercent: integer().notNull(),
    quota: numeric().notNull(),
    /** The use the gateway saw when it found the threshold crossed. */
    used: numeric().notNull(),
    crossedAt: timestamptz().notNull(),
  },
  (table) => [
    unique('usage_alerts_once_per_period_key').on(
      table.tenantId,
      table.metric,
      table.periodStart,
      table.thresholdPercent,
    ),
    index('usage_alerts_tenant_crossed_at_idx').on(table.tenantId, table.crossedAt),
    check('usage_alerts_threshold_check', sql`${table.thresholdPercent} between 1 and 100`),
    check('usage_alerts_figures_check', sql`${table.quota} >= 0 and ${table.used} >= 0`),
  ],
)
