import { randomUUID } from 'node:crypto'
import type { Database } from '@gatehouse/db-kit'
import type { Clock } from '@gatehouse/service-kit'
import { eq } from 'drizzle-orm'
import { ACTIONS, ActionError, type Applied } from '../actions/index.ts'
import { bomTriggerLogs, tasks } from '../db/schema/index.ts'
import { errors } from '../errors.ts'
import type { TriggerEvent } from '../vocabulary.ts'
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
  log: { error(details: object, message: string): void }
}

type LogRow = typeof bomTriggerLogs.$inferInsert

interface Chain {
  id: string
  tenantId: string
  now: Date
  deps: EngineDeps
  /** (trigger, task) pairs already run in this chain: the cycle guard (Odoo's processed-records set). */
  seen: Set<string>
  runs: TriggerRun[]
  logs: LogRow[]
  webhooks: number
  triggers: Map<TriggerEvent, Promise<ReadyTrigger[]>>
}

/** Raised through the chain when a trigger with abortOnError fails: the whole operation rolls back. */
class TriggerAbort extends Error {
  constructor(
    readonly log: LogRow,
    readonly run: TriggerRun,
  ) {
    super(run.error ?? 'aborted')
  }
}

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
  return { log, run }
}

async function runAction(
  tx: Database,
  chain: Chain,
  trigger: ReadyTrigger,
  event: EventContext,
): Promise<Applied> {
  if (trigger.actionConfig === undefined)
    throw new ActionError('the stored actionConfig no longer fits its action type')
  // A savepoint (drizzle's nested transaction): a failing action's partial writes are undone without ending the
  // operation's transaction. Hand-written SAVEPOINTs would not do on postgres.js, which rethrows any failed query of
  // a transaction at its end unless it ran in its own savepoint scope.
  const config = trigger.actionConfig
  return tx.transaction(async (savepoint) => {
    const planned = await ACTIONS[trigger.actionType].plan(
      { tx: savepoint, tenantId: chain.tenantId, trigger, event, now: chain.now },
      config,
    )
    return planned.apply()
  })
}

async function raise(tx: Database, chain: Chain, event: EventContext): Promise<void> {
  let loading = chain.triggers.get(event.event)
  if (!loading) {
    loading = chain.deps.catalog.activeFor(tx, chain.tenantId, event.event)
    chain.triggers.set(event.event, loading)
  }
  for (const trigger of await loading) {
    if (!trigger.conditions.test(event)) continue
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
      applied = await runAction(tx, chain, trigger, event)
    } catch (error) {
      const failed = record(chain, trigger, event, 'failed', {
        durationMs: performance.now() - started,
        error: actionFailureMessage(error, chain.deps.log, trigger.id),
      })
      if (trigger.abortOnError) throw new TriggerAbort(failed.log, failed.run)
      continue
    }
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
 */
export async function runOperation<T>(
  db: Database,
  deps: EngineDeps,
  tenantId: string,
  operation: (tx: Database, fire: Fire, now: Date) => Promise<T>,
): Promise<{ result: T; runs: TriggerRun[] }> {
  const chain: Chain = {
    id: randomUUID(),
    tenantId,
    now: deps.clock(),
    deps,
    seen: new Set(),
    runs: [],
    logs: [],
    webhooks: 0,
    triggers: new Map(),
  }
  try {
    const result = await db.transaction(async (tx) => {
      const value = await operation(tx, (event) => raise(tx, chain, { ...event, depth: 0 }), chain.now)
      if (chain.logs.length > 0) await tx.insert(bomTriggerLogs).values(chain.logs)
      return value
    })
    if (chain.webhooks > 0) deps.onWebhooksCommitted()
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
    throw errors.TRIGGER_ABORTED(
      `Trigger "${run.name}" failed on ${run.event} and aborts on error: ${run.error}. Nothing was changed.`,
      { triggerId: run.triggerId, triggerEvent: run.event },
    )
  }
}
