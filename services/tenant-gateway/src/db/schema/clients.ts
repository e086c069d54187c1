import { createdAt, id } from '@gatehouse/db-kit/columns'
import { sql } from 'drizzle-orm'
import { bigint, check, integer, pgTable, text } from 'drizzle-orm/pg-core'

export const TENANT_STATUSES = ['active', 'suspended'] as const
export const PLANS = ['free', 'pro', 'enterprise'] as const

/** Tenants (seed 004 `clients`). */
export const clients = pgTable(
  'clients',
  {
    id: id(),
    name: text().notNull(),
    status: text({ enum: TENANT_STATUSES }).notNull().default('active'),
    plan: text({ enum: PLANS }).notNull().default('free'),
    /** Explicit limits override the plan's when both are set. */
    rateLimitMax: integer(),
    rateLimitWindowMs: integer(),
    /** Requests per UTC month; overrides the plan's quota when set (issue 15). */
    monthlyRequestQuota: bigint({ mode: 'number' }),
    /** The tenant's soft threshold, in percent of its quota; null: no alert below 100%. */
    usageAlertPercent: integer(),
    createdAt: createdAt(),
    /** Seed 004 legacy raw key: read only by the backfill, which nulls it once the migrated key verifies. */
    apiKey: text('api_key'),
    /** Seed 004 legacy column: the backfill records here the peppered hash the raw key moved to. */
    apiKeyHash: text('api_key_hash'),
  },
  (table) => [
    check('clients_status_check', sql`${table.status} in ('active', 'suspended')`),
    check('clients_plan_check', sql`${table.plan} in ('free', 'pro', 'enterprise')`),
    check(
      'clients_rate_limit_check',
      sql`(${table.rateLimitMax} is null) = (${table.rateLimitWindowMs} is null) and coalesce(${table.rateLimitMax}, 1) > 0 and coalesce(${table.rateLimitWindowMs}, 1000) >= 1000`,
    ),
    check(
      'clients_monthly_request_quota_check',
      sql`${table.monthlyRequestQuota} is null or ${table.monthlyRequestQuota} >= 0`,
    ),
    check(
      'clients_usage_alert_percent_check',
      sql`${table.usageAlertPercent} is null or ${table.usageAlertPercent} between 1 and 100`,
    ),
  ],
)
