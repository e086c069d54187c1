import { createdAt, id, timestamptz } from '@gatehouse/db-kit/columns'
import { sql } from 'drizzle-orm'
import { check, index, numeric, pgTable, unique, uuid } from 'drizzle-orm/pg-core'
import { materials } from './materials.ts'
import { tasks } from './tasks.ts'

/** One line of a task's bill of materials; the unit cost is the catalogue's at the time it was added. */
export const taskBomItems = pgTable(
  'task_bom_items',
  {
    id: id(),
    tenantId: uuid().notNull(),
    taskId: uuid()
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    materialId: uuid()
      .notNull()
      .references(() => materials.id, { onDelete: 'restrict' }),
    quantity: numeric({ precision: 14, scale: 4 }).notNull(),
    unitCost: numeric({ precision: 14, scale: 4 }).notNull(),
    createdAt: createdAt(),
    updatedAt: timestamptz().notNull().defaultNow(),
  },
  (table) => [
    unique('task_bom_items_task_material').on(table.taskId, table.materialId),
    index('idx_task_bom_items_material').on(table.materialId),
    check('task_bom_items_quantity_positive', sql`${table.quantity} > 0`),
    check('task_bom_items_unit_cost_nonnegative', sql`${table.unitCost} >= 0`),
  ],
)

export type TaskBomItem = typeof taskBomItems.$inferSelect
