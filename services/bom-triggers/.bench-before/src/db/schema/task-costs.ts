import { timestamptz } from '@gatehouse/db-kit/columns'
import { integer, numeric, pgTable, uuid } from 'drizzle-orm/pg-core'
import { tasks } from './tasks.ts'

/** A task's cost totals as CALCULATE_COST last computed them from its BOM items. */
export const taskCosts = pgTable('task_costs', {
  taskId: uuid()
    .primaryKey()
    .references(() => tasks.id, { onDelete: 'cascade' }),
  tenantId: uuid().notNull(),
  materialsTotal: numeric({ precision: 18, scale: 4 }).notNull(),
  markupPercent: numeric({ precision: 9, scale: 4 }).notNull(),
  total: numeric({ precision: 18, scale: 4 }).notNull(),
  itemCount: integer().notNull(),
  /** The task's bom_version these totals were computed from. */
  bomVersion: integer().notNull(),
  calculatedAt: timestamptz().notNull(),
})

export type TaskCost = typeof taskCosts.$inferSelect
