import type { Database } from '@gatehouse/db-kit'
import { and, eq, sql } from 'drizzle-orm'
import { ACTIONS, ActionError } from './actions/index.ts'
import { insertLine, materialFacts, materialOnTask, taskFacts } from './bom.ts'
import { tasks } from './db/schema/index.ts'
import type { ConditionResult, FieldError } from './engine/conditions.ts'
import type { EventContext, MaterialFacts, TaskFacts } from './engine/event-context.ts'
import { actionFailureMessage } from './engine/failures.ts'
import type { TriggerCatalog } from './engine/trigger-catalog.ts'
import { errors } from './errors.ts'
import { getTrigger } from './triggers.ts'
import type { ActionType, TaskStatus, TriggerEvent } from './vocabulary.ts'

/** The event a dry run evaluates: an existing task (taskId) or a hypothetical one, plus the event's own facts. */
export interface TestEventInput {
  taskId?: string
  task?: { title?: string; type?: string; status?: TaskStatus }
  status?: { old?: TaskStatus; new?: TaskStatus }
  material?: { id?: string; sku?: string }
  quantity?: { old?: string; new?: string }
}

export interface DryRunResult {
  triggerId: string
  isActive: boolean
  event: EventContext
  matched: boolean
  conditions: ConditionResult[]
  action: {
    type: ActionType
    summary: string
    details?: Record<string, unknown>
    raises: TriggerEvent[]
    error?: string
  } | null
}

/** The task id of a hypothetical task: no row has it, so reads find an empty BOM. */
const NO_TASK = '00000000-0000-0000-0000-000000000000'

async function taskOf(tx: Database, tenantId: string, input: TestEventInput): Promise<TaskFacts> {
  const overlay = input.task ?? {}
  if (!input.taskId) {
    return {
      id: NO_TASK,
      title: overlay.title ?? 'Dry run',
      type: overlay.type ?? 'GENERAL',
      status: overlay.status ?? 'PENDING',
    }
  }
  const [row] = await tx
    .select()
    .from(tasks)
    .where(and(eq(tasks.tenantId, tenantId), eq(tasks.id, input.taskId)))
  if (!row) throw errors.TASK_NOT_FOUND()
  return { ...taskFacts(row), ...overlay }
}

async function materialOf(
  tx: Database,
  tenantId: string,
  input: TestEventInput['material'],
): Promise<MaterialFacts> {
  const by = input?.id ? { id: input.id } : input?.sku ? { sku: input.sku } : undefined
  const found = by && (await materialOnTask(tx, tenantId, NO_TASK, by))
  if (!found) throw errors.MATERIAL_NOT_FOUND('The test event names no material of the catalogue.')
  return materialFacts(found.material)
}

async function eventOf(
  tx: Database,
  tenantId: string,
  event: TriggerEvent,
  input: TestEventInput,
): Promise<EventContext> {
  const task = await taskOf(tx, tenantId, input)
  const missing: FieldError[] = []
  const need = (value: string | undefined, path: string): string => {
    if (value === undefined) missing.push({ path, message: `is required for ${event}` })
    return value ?? ''
  }
  const context: EventContext = { event, depth: 0, task }
  if (event === 'ON_STATUS_CHANGE' || event === 'ON_TASK_COMPLETE') {
    const next = event === 'ON_TASK_COMPLETE' ? 'COMPLETED' : need(input.status?.new, '/body/status/new')
    context.status = { old: input.status?.old ?? task.status, new: next as TaskStatus }
    context.task = { ...task, status: context.status.new }
  }
  if (event === 'ON_MATERIAL_ADD' || event === 'ON_QUANTITY_CHANGE') {
    if (!input.material?.id && !input.material?.sku)
      missing.push({ path: '/body/material', message: `is required for ${event}` })
    const quantity = { new: need(input.quantity?.new, '/body/quantity/new') }
    context.quantity =
      event === 'ON_QUANTITY_CHANGE'
        ? { old: need(input.quantity?.old, '/body/quantity/old'), ...quantity }
        : quantity
    if (missing.length === 0) context.material = await materialOf(tx, tenantId, input.material)
  }
  if (missing.length > 0)
    throw errors.INVALID_EVENT(`The test event lacks facts ${event} carries.`, { errors: missing })
  return context
}

/**
 * POST /api/bom-triggers/:id/test: evaluates one trigger against a given event and says what its action would do,
 * in a READ ONLY transaction (PostgreSQL itself refuses any write), so nothing is written and nothing is sent.
 */
export async function dryRunTrigger(
  db: Database,
  catalog: TriggerCatalog,
  tenantId: string,
  triggerId: string,
  input: TestEventInput,
  now: Date,
  log: { error(details: object, message: string): void },
): Promise<DryRunResult> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`set transaction read only`)
    const row = await getTrigger(tx, tenantId, triggerId)
    const trigger = catalog.prepare(row)
    const event = await eventOf(tx, tenantId, row.triggerEvent as TriggerEvent, input)
    const conditions = trigger.conditions.explain(event)
    const matched = trigger.conditions.test(event)
    const base = { triggerId, isActive: row.isActive, event, matched, conditions }
    if (!matched) return { ...base, action: null }
    const type = trigger.actionType
    const config = trigger.actionConfig
    try {
      if (config === undefined)
        throw new ActionError('the stored actionConfig no longer fits its action type')
      // In a savepoint, so that a database error leaves the (read-only) transaction usable.
      const planned = await tx.transaction((savepoint) =>
        ACTIONS[type].plan(
          {
            tx: savepoint,
            tenantId,
            trigger,
            event,
            now,
            findMaterial: (sku) => materialOnTask(savepoint, tenantId, event.task.id, { sku }),
            // Never called: a dry run stops before apply (and its transaction is read-only).
            insertLine: (line) => insertLine(savepoint, line, now),
          },
          config,
        ),
      )
      return {
        ...base,
        action: { type, summary: planned.summary, details: planned.details, raises: planned.raises },
      }
    } catch (error) {
      const message = actionFailureMessage(error, log, triggerId)
      return { ...base, action: { type, summary: `Would fail: ${message}`, raises: [], error: message } }
    }
  })
}
