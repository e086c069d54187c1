import { createdAt, id, timestamptz } from '@gatehouse/db-kit/columns'
import { sql } from 'drizzle-orm'
import { check, numeric, pgTable, unique, uuid, varchar } from 'drizzle-orm/pg-core'

/** A tenant's catalogue. Rows without a tenant are templates, copied into each tenant on its first call. */
export const materials = pgTable(
  'materials',
  {
    id: id(),
    tenantId: uuid(),
    sku: varchar({ length: 64 }).notNull(),
    name: varchar({ length: 200 }).notNull(),
    unit: varchar({ length: 20 }).notNull(),
    unitCost: numeric({ precision: 14, scale: 4 }).notNull(),
    createdAt: createdAt(),
    updatedAt: timestamptz().notNull().defaultNow(),
  },
  (table) => [
    unique('materials_tenant_sku').on(table.tenantId, table.sku).nullsNotDistinct(),
    check('materials_unit_cost_nonnegative', sql`${table.unitCost} >= 0`),
  ],
)

export type Material = typeof materials.$inferSelect
