import { randomUUID } from 'node:crypto'
import type { Database } from '@gatehouse/db-kit'
import type { Clock } from '@gatehouse/service-kit'
import { eq, sql } from 'drizzle-orm'
import type { ActionScope } from '../actions/action.ts'
import { ACTIONS, ActionError, type Applied, type Planned } from '../actions/index.ts'
import { insertLine, insertLines, type MaterialOnTask, materialsOnTask, type NewLine } from '../bom.ts'
import { executePrepared } from '../db/prepared.ts'
import { bomTriggerLogs, tasks } from '../db/schema/index.ts'
import { errors } from '../errors.ts'
import type { ActionType, TriggerEvent } from '../vocabulary.ts'
import type { EventContext } from './event-context.ts'
import { actionFailureMessage } from './failures.ts'
import type { ReadyTrigger, TriggerCatalog } from './trigger-catalog.ts'

export type Outcome = 'succeeded' | 'failed' | 'cycle_guard' | 'depth_limit'

/** One trigger run of an operation, as its response lists it. */
export interface TriggerRun {
  triggerId: string
  name: string
  event: TriggerEvent
  depth: number
  outcome: Outcome
  error: string | null
}

export interface EngineDeps {
  clock: Clock
  catalog: TriggerCatalog
  /** Events at this depth or deeper are not processed (each matching trigger is logged as depth_limit). */
  maxDepth: number
  /** After a commit that wrote webhook messages: wake the delivery worker. */
  onWebhooksCommitted(): void
  /** The runs whose log rows were written (after commit, or the one failure logged after an abort). */
  onRunsLogged?(runs: readonly LoggedRun[]): void
  log: { error(details: object, message: string): void }
}

export interface LoggedRun {
  actionType: ActionType
  success: boolean
}

type LogRow = typeof bomTriggerLogs.$inferInsert

interface Chain {
  id: string
  tenantId: string
  now: Date
  deps: EngineDeps
  /** Every action in a savepoint: the second attempt, after one failed where only a savepoint undoes it. */
  guarded: boolean
  /** (trigger, task) pairs already run in this chain: the cycle guard (Odoo's processed-records set). */
  seen: Set<string>
  runs: TriggerRun[]
  logs: LogRow[]
  logged: LoggedRun[]
  webhooks: number
  /** The tenant's active triggers of every event, read once per operation. */
  triggers: Promise<Map<TriggerEvent, ReadyTrigger[]>> | undefined
  /**
   * Catalogue materials and their lines, by `task/sku`, read for all matched triggers of an event at once. A
   * material action's success drops its entry, and the operation's own event starts empty, so every entry is
   * what the database holds.
   */
  materials: Map<string, MaterialOnTask | undefined>
  /** Lines of batching actions (first attempt only) not written yet: written before the chain's next statement. */
  pendingLines: { trigger: ReadyTrigger; line: NewLine }[]
}

/** Raised through the chain when a trigger with abortOnError fails: the whole operation rolls back. */
class TriggerAbort extends Error {
  constructor(
    readonly log: LogRow,
    readonly run: TriggerRun,
    readonly actionType: ActionType,
  ) {
    super(run.error ?? 'aborted')
  }
}

/**
 * Raised out of a first attempt when an action without a savepoint failed in a way a savepoint would have undone
 * (a statement refused, which also poisons the transaction, or anything thrown while applying): the operation is
 * rolled back and run again with every action in a savepoint.
 */
class NeedsSavepoints extends Error {}

export type Fire = (event: Omit<EventContext, 'depth'>) => Promise<void>

function record(
  chain: Chain,
  trigger: ReadyTrigger,
  event: EventContext,
  outcome: Outcome,
  result: { durationMs: number; output?: Record<string, unknown>; error?: string },
): { log: LogRow; run: TriggerRun } {
  const run: TriggerRun = {
    triggerId: trigger.id,
    name: trigger.name,
    event: event.event,
    depth: event.depth,
    outcome,
    error: result.error ?? null,
  }
  const log: LogRow = {
    tenantId: chain.tenantId,
    triggerId: trigger.id,
    triggerName: trigger.name,
    taskId: event.task.id,
    event: event.event,
    outcome,
    success: outcome === 'succeeded',
    inputData: event,
    outputData: result.output ?? null,
    error: result.error ?? null,
    durationMs: result.durationMs,
    depth: event.depth,
    chainId: chain.id,
    executedAt: chain.now,
  }
  chain.runs.push(run)
  chain.logs.push(log)
  chain.logged.push({ actionType: trigger.actionType, success: log.success })
  return { log, run }
}

const MATERIAL_ACTIONS: ReadonlySet<ActionType> = new Set([
  'ADD_MATERIAL',
  'UPDATE_QUANTITY',
  'REMOVE_MATERIAL',
])

/** The SKU a material action names (its config is schema-checked), or undefined. */
function skuOf(trigger: ReadyTrigger): string | undefined {
  if (!MATERIAL_ACTIONS.has(trigger.actionType)) return undefined
  return (trigger.actionConfig as { sku?: string } | undefined)?.sku
}

/**
 * Writes the held-back lines, one statement per task; a refusal sends the operation to its second attempt. The
 * statements are started before this returns, so a caller starts its next statement behind them and awaits both:
 * statements go out in the order they are started, and prepared ones share a round trip (postgres.js pipelines).
 */
async function flushLines(tx: Database, chain: Chain): Promise<void> {
  const pending = chain.pendingLines
  if (pending.length === 0) return
  chain.pendingLines = []
  const byTask = new Map<string, NewLine[]>()
  for (const { line } of pending) byTask.set(line.taskId, [...(byTask.get(line.taskId) ?? []), line])
  try {
    await Promise.all([...byTask].map(([taskId, lines]) => insertLines(tx, taskId, lines, chain.now)))
  } catch {
    for (const { trigger } of pending) trigger.runsInSavepoint = true
    throw new NeedsSavepoints()
  }
}

async function findMaterial(
  tx: Database,
  chain: Chain,
  taskId: string,
  sku: string,
  wanted: readonly string[],
): Promise<MaterialOnTask | undefined> {
  const key = (s: string) => `${taskId}/${s}`
  if (chain.materials.has(key(sku))) return chain.materials.get(key(sku))
  const flushed = sentAhead(flushLines(tx, chain))
  const skus = [...new Set([sku, ...wanted])].filter((s) => !chain.materials.has(key(s)))
  const reading = sentAhead(materialsOnTask(tx, chain.tenantId, taskId, skus))
  // A refused line first: the read behind it fails only because the transaction is aborted.
  await flushed
  const found = await reading
  for (const s of skus) chain.materials.set(key(s), found.get(s))
  return found.get(sku)
}

async function runAction(
  tx: Database,
  chain: Chain,
  trigger: ReadyTrigger,
  event: EventContext,
  wanted: readonly string[],
): Promise<Applied> {
  if (trigger.actionConfig === undefined)
    throw new ActionError('the stored actionConfig no longer fits its action type')
  const config = trigger.actionConfig
  const action = ACTIONS[trigger.actionType]
  const guarded = chain.guarded || trigger.runsInSavepoint
  const batching = !guarded && action.batchesLines === true
  const scopeOn = (on: Database): ActionScope => ({
    tx: on,
    tenantId: chain.tenantId,
    trigger,
    event,
    now: chain.now,
    findMaterial: (sku) => findMaterial(on, chain, event.task.id, sku, wanted),
    insertLine: batching
      ? async (line) => {
          chain.pendingLines.push({ trigger, line })
        }
      : (line) => insertLine(on, line, chain.now),
  })
  if (guarded) {
    await flushLines(tx, chain)
    // A savepoint (drizzle's nested transaction): a failing action's partial writes are undone without ending the
    // operation's transaction. Hand-written SAVEPOINTs would not do on postgres.js, which rethrows any failed query
    // of a transaction at its end unless it ran in its own savepoint scope.
    return tx.transaction(async (savepoint) => {
      const scope = scopeOn(savepoint)
      return action.execute ? action.execute(scope, config) : (await action.plan(scope, config)).apply()
    })
  }
  // Without a savepoint (two round trips less per run). Plans only read: an ActionError from one leaves the
  // transaction as it was. Any other failure is undone by rolling back: the whole operation when the trigger
  // aborts on error anyway, else this attempt, for a second one with savepoints.
  const undone = (error: unknown) => {
    if (error instanceof NeedsSavepoints || trigger.abortOnError) return error
    trigger.runsInSavepoint = true
    return new NeedsSavepoints()
  }
  // Held-back lines go out first and this action's statements behind them.
  const flushed = batching ? undefined : sentAhead(flushLines(tx, chain))
  const scope = scopeOn(tx)
  let applying = false
  try {
    let applied: Applied
    if (action.execute) applied = await action.execute(scope, config)
    else {
      const planned: Planned = await action.plan(scope, config)
      applying = true
      applied = await planned.apply()
    }
    await flushed
    return applied
  } catch (error) {
    // A refused line is the failure then (NeedsSavepoints), not what it caused here.
    await flushed
    if (error instanceof ActionError && !action.execute && !applying) throw error
    throw undone(error)
  }
}

function triggersOf(tx: Database, chain: Chain): Promise<Map<TriggerEvent, ReadyTrigger[]>> {
  chain.triggers ??= sentAhead(chain.deps.catalog.activeByEvent(tx, chain.tenantId))
  return chain.triggers
}

/**
 * A statement sent now and awaited later, so that the next ones are pipelined behind it (postgres.js, prepared
 * statements). Its failure still reaches whoever awaits it; until then it is not an unhandled rejection.
 */
function sentAhead<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {})
  return promise
}

/**
 * The chain's log rows in one statement whose text does not depend on their number (one jsonb parameter), so it
 * is always prepared, and drizzle does not build 14 parameters per row. Rows go in the array's order (`seq`).
 */
function writeLogs(tx: Database, rows: LogRow[]): Promise<void> {
  const records = rows.map((row) => ({
    tenant_id: row.tenantId,
    trigger_id: row.triggerId,
    trigger_name: row.triggerName,
    task_id: row.taskId,
    event: row.event,
    outcome: row.outcome,
    success: row.success,
    input_data: row.inputData,
    output_data: row.outputData,
    error: row.error,
    duration_ms: row.durationMs,
    depth: row.depth,
    chain_id: row.chainId,
    executed_at: row.executedAt,
  }))
  return executePrepared(
    tx,
    'insert_trigger_logs',
    sql`insert into ${bomTriggerLogs} (${sql.raw(LOG_COLUMNS)})
      select ${sql.raw(LOG_COLUMNS)} from jsonb_to_recordset(${JSON.stringify(records)}::jsonb) as r(
        tenant_id uuid, trigger_id uuid, trigger_name varchar(100), task_id uuid, event varchar(50),
        outcome varchar(20), success boolean, input_data jsonb, output_data jsonb, error text,
        duration_ms double precision, depth integer, chain_id uuid, executed_at timestamptz)`,
  )
}

const LOG_COLUMNS =
  'tenant_id, trigger_id, trigger_name, task_id, event, outcome, success, input_data, output_data, error, duration_ms, depth, chain_id, executed_at'

async function raise(tx: Database, chain: Chain, event: EventContext): Promise<void> {
  // Conditions read only the event, so evaluating them all first changes nothing; it tells which SKUs to read.
  const matched = ((await triggersOf(tx, chain)).get(event.event) ?? []).filter((trigger) =>
    trigger.conditions.test(event),
  )
  const wanted = matched.flatMap((trigger) => skuOf(trigger) ?? [])
  for (const trigger of matched) {
    if (event.depth >= chain.deps.maxDepth) {
      record(chain, trigger, event, 'depth_limit', {
        durationMs: 0,
        error: `cascade depth limit (${chain.deps.maxDepth}) reached: not run`,
      })
      continue
    }
    const pair = `${trigger.id}/${event.task.id}`
    if (chain.seen.has(pair)) {
      record(chain, trigger, event, 'cycle_guard', {
        durationMs: 0,
        error: 'already ran on this task in this operation (cycle guard): not run again',
      })
      continue
    }
    chain.seen.add(pair)
    const started = performance.now()
    let applied: Applied
    try {
      applied = await runAction(tx, chain, trigger, event, wanted)
    } catch (error) {
      if (error instanceof NeedsSavepoints) throw error
      const failed = record(chain, trigger, event, 'failed', {
        durationMs: performance.now() - started,
        error: actionFailureMessage(error, chain.deps.log, trigger.id),
      })
      if (trigger.abortOnError) throw new TriggerAbort(failed.log, failed.run, trigger.actionType)
      continue
    }
    const sku = skuOf(trigger)
    if (sku !== undefined) chain.materials.delete(`${event.task.id}/${sku}`)
    record(chain, trigger, event, 'succeeded', {
      durationMs: performance.now() - started,
      output: applied.output,
    })
    chain.webhooks += applied.webhooks ?? 0
    for (const next of applied.raised) await raise(tx, chain, { ...next, depth: event.depth + 1 })
  }
}

/**
 * Runs one task or BOM operation in a transaction together with every trigger it fires (and they fire), logs the
 * runs in the same transaction, and wakes the webhook worker after commit. A failing trigger with abortOnError
 * rolls everything back: only its failure is logged, and the caller gets TRIGGER_ABORTED (422).
 *
 * Actions run without savepoints first (issue 11: two round trips each). When one fails in a way only a savepoint
 * would have undone, that attempt is rolled back and the operation runs once more, every action in a savepoint,
 * which gives what one savepoint per action always gave; the trigger then keeps a savepoint for its later runs.
 *
 * `operation` changes the task and raises its events; `answer` then reads what the caller gets back, in the same
 * transaction and in one round trip with the log rows.
 */
export async function runOperation<T>(
  db: Database,
  deps: EngineDeps,
  tenantId: string,
  operation: (tx: Database, fire: Fire, now: Date) => Promise<string>,
  answer: (tx: Database, taskId: string) => Promise<T>,
): Promise<{ result: T; runs: TriggerRun[] }> {
  const id = randomUUID()
  const now = deps.clock()
  const attempt = async (guarded: boolean) => {
    const chain: Chain = {
      id,
      tenantId,
      now,
      deps,
      guarded,
      seen: new Set(),
      runs: [],
      logs: [],
      logged: [],
      webhooks: 0,
      triggers: undefined,
      materials: new Map(),
      pendingLines: [],
    }
    const result = await db.transaction(async (tx) => {
      // Read together with the operation's first statement (one round trip): nearly every operation raises an
      // event, and what it reads does not depend on what the operation does.
      triggersOf(tx, chain)
      const fire: Fire = async (event) => {
        // The operation may have changed the BOM since its last event.
        chain.materials.clear()
        await raise(tx, chain, { ...event, depth: 0 })
        await flushLines(tx, chain)
      }
      const taskId = await operation(tx, fire, now)
      // The answer's reads, then one multi-row insert for the chain's log rows: in this order they leave in one
      // write. postgres.js writes a statement of 1 KiB or more at once, and its socket does not set TCP_NODELAY:
      // small statements after a large one wait for its answer (Nagle), small ones before it go out with it.
      const reading = sentAhead(answer(tx, taskId))
      if (chain.logs.length > 0) await writeLogs(tx, chain.logs)
      return reading
    })
    return { chain, result }
  }
  try {
    const { chain, result } = await attempt(false).catch((error) => {
      if (error instanceof NeedsSavepoints) return attempt(true)
      throw error
    })
    if (chain.webhooks > 0) deps.onWebhooksCommitted()
    if (chain.logged.length > 0) deps.onRunsLogged?.(chain.logged)
    return { result, runs: chain.runs }
  } catch (error) {
    if (!(error instanceof TriggerAbort)) throw error
    const { log, run } = error
    // The task may have been created by the operation that just rolled back.
    const [task] = log.taskId
      ? await db.select({ id: tasks.id }).from(tasks).where(eq(tasks.id, log.taskId))
      : []
    await db
      .insert(bomTriggerLogs)
      .values({ ...log, taskId: task?.id ?? null, outputData: { rolledBack: true } })
    deps.onRunsLogged?.([{ actionType: error.actionType, success: false }])
    throw errors.TRIGGER_ABORTED(
      `Trigger "${run.name}" failed on ${run.event} and aborts on error: ${run.error}. Nothing was changed.`,
      { triggerId: run.triggerId, triggerEvent: run.event },
    )
  }
}
