import { createdAt, id } from '@gatehouse/db-kit/columns'
import { sql } from 'drizzle-orm'
import { check, integer, pgTable, text } from 'drizzle-orm/pg-core'

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
  ],
)
