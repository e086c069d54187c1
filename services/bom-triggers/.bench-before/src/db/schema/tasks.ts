import { createdAt, id, timestamptz } from '@gatehouse/db-kit/columns'
import { sql } from 'drizzle-orm'
import { check, index, integer, pgTable, uuid, varchar } from 'drizzle-orm/pg-core'
import { TASK_STATUSES } from '../../vocabulary.ts'

export const tasks = pgTable(
  'tasks',
  {
    id: id(),
    tenantId: uuid().notNull(),
    title: varchar({ length: 200 }).notNull(),
    type: varchar({ length: 50 }).notNull(),
    status: varchar({ length: 20, enum: TASK_STATUSES }).notNull().default('PENDING'),
    createdAt: createdAt(),
    updatedAt: timestamptz().notNull().defaultNow(),
    completedAt: timestamptz(),
    /** Counts BOM changes: a stored cost computed at another count is stale. */
    bomVersion: integer().notNull().default(0),
  },
  (table) => [
    index('idx_tasks_tenant_created').on(table.tenantId, table.createdAt.desc(), table.id.desc()),
    index('idx_tasks_tenant_status').on(table.tenantId, table.status),
    check(
      'tasks_status_known',
      sql.raw(`status in (${TASK_STATUSES.map((status) => `'${status}'`).join(', ')})`),
    ),
  ],
)

export type Task = typeof tasks.$inferSelect
