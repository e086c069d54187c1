import { createdAt, id, timestamptz } from '@gatehouse/db-kit/columns'
import { sql } from 'drizzle-orm'
import { boolean, check, index, integer, jsonb, pgTable, text, uuid, varchar } from 'drizzle-orm/pg-core'
import { ACTION_TYPES, TRIGGER_EVENTS } from '../../vocabulary.ts'

const oneOf = (column: string, values: readonly string[]) =>
  sql.raw(`${column} in (${values.map((value) => `'${value}'`).join(', ')})`)

/**
 * Seed 002's trigger definitions. Rows without a tenant are the seed's templates (copied into each tenant on its
 * first call); every tenant query filters on tenant_id, so a template is never run or shown as it is.
 */
export const bomTriggers = pgTable(
  'bom_triggers',
  {
    id: id(),
    tenantId: uuid(),
    name: varchar({ length: 100 }).notNull(),
    description: text(),
    triggerEvent: varchar({ length: 50, enum: TRIGGER_EVENTS }).notNull(),
    actionType: varchar({ length: 50, enum: ACTION_TYPES }).notNull(),
    conditions: jsonb().notNull().default({}),
    actionConfig: jsonb().notNull().default({}),
    priority: integer().notNull().default(0),
    isActive: boolean().notNull().default(true),
    /** A failing action rolls back the whole operation that fired it (422) instead of only being logged. */
    abortOnError: boolean().notNull().default(false),
    /** Bumped on every change: the compiled conditions are cached per (id, version). */
    version: integer().notNull().default(1),
    createdAt: createdAt(),
    updatedAt: timestamptz().notNull().defaultNow(),
  },
  (table) => [
    index('idx_bom_triggers_trigger_event').on(table.triggerEvent),
    index('idx_bom_triggers_is_active').on(table.isActive),
    index('idx_bom_triggers_priority').on(table.priority),
    // The engine's one query per event: a tenant's active triggers for it, in execution order.
    index('idx_bom_triggers_tenant_event').on(
      table.tenantId,
      table.triggerEvent,
      table.isActive,
      table.priority.desc(),
    ),
    check('bom_triggers_event_known', oneOf('trigger_event', TRIGGER_EVENTS)),
    check('bom_triggers_action_known', oneOf('action_type', ACTION_TYPES)),
  ],
)

export type BomTrigger = typeof bomTriggers.$inferSelect
