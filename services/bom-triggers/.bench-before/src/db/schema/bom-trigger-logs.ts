import { id } from '@gatehouse/db-kit/columns'
import { sql } from 'drizzle-orm'
import {
  bigint,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core'
import { TRIGGER_EVENTS } from '../../vocabulary.ts'
import { bomTriggers } from './bom-triggers.ts'
import { tasks } from './tasks.ts'

/**
 * Seed 002's execution log: one row per trigger run (conditions matched), including runs the cascade guards
 * stopped. A deleted trigger keeps its history (trigger_id set null, trigger_name kept).
 */
export const bomTriggerLogs = pgTable(
  'bom_trigger_logs',
  {
    id: id(),
    /** Insertion order: the logs endpoint pages on it (many runs share one millisecond). */
    seq: bigint({ mode: 'number' }).generatedAlwaysAsIdentity().notNull(),
    tenantId: uuid().notNull(),
    triggerId: uuid().references(() => bomTriggers.id, { onDelete: 'set null' }),
    triggerName: varchar({ length: 100 }).notNull(),
    taskId: uuid().references(() => tasks.id, { onDelete: 'set null' }),
    event: varchar({ length: 50, enum: TRIGGER_EVENTS }).notNull(),
    /** succeeded, failed, cycle_guard or depth_limit. */
    outcome: varchar({ length: 20, enum: ['succeeded', 'failed', 'cycle_guard', 'depth_limit'] }).notNull(),
    success: boolean().notNull(),
    inputData: jsonb().notNull(),
    outputData: jsonb(),
    error: text(),
    durationMs: doublePrecision().notNull(),
    /** 0 for the operation's own event, n for an event raised by a trigger at depth n - 1. */
    depth: integer().notNull(),
    /** The operation whose chain this run belongs to. */
    chainId: uuid().notNull(),
    executedAt: timestamp({ withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [
    index('idx_bom_trigger_logs_trigger_executed').on(table.triggerId, table.executedAt.desc()),
    index('idx_bom_trigger_logs_executed_at').on(table.executedAt.desc()),
    index('idx_bom_trigger_logs_tenant_seq').on(table.tenantId, table.seq.desc()),
    index('idx_bom_trigger_logs_task').on(table.taskId),
    index('idx_bom_trigger_logs_failed').on(table.executedAt.desc()).where(sql`${table.success} = false`),
  ],
)

export type BomTriggerLog = typeof bomTriggerLogs.$inferSelect
