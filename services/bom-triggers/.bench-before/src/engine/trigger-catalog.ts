import type { Database } from '@gatehouse/db-kit'
import { and, asc, desc, eq, inArray } from 'drizzle-orm'
import Value from 'typebox/value'
import { ACTIONS } from '../actions/index.ts'
import { bomTriggers } from '../db/schema/index.ts'
import type { ActionType, TriggerEvent } from '../vocabulary.ts'
import { type CompiledConditions, compileConditions } from './conditions.ts'

export interface ReadyTrigger {
  id: string
  name: string
  actionType: ActionType
  abortOnError: boolean
  conditions: CompiledConditions
  /** The stored config when it still fits its action's schema; undefined otherwise (the run then fails). */
  actionConfig: unknown
  /**
   * Set once a run of this version failed where only a savepoint undoes the failure: its later runs get one from
   * the start (engine/chain.ts). A new version starts without.
   */
  runsInSavepoint: boolean
}

const NEVER: CompiledConditions = { test: () => false, explain: () => [] }

export interface TriggerCatalog {
  /** A tenant's active triggers for one event, in execution order, conditions compiled. */
  activeFor(tx: Database, tenantId: string, event: TriggerEvent): Promise<ReadyTrigger[]>
  /** The same for every event at once (one query): what an operation's whole chain may run. */
  activeByEvent(tx: Database, tenantId: string): Promise<Map<TriggerEvent, ReadyTrigger[]>>
  prepare(row: TriggerRow): ReadyTrigger
}

type TriggerRow = Pick<
  typeof bomTriggers.$inferSelect,
  'id' | 'name' | 'triggerEvent' | 'actionType' | 'conditions' | 'actionConfig' | 'abortOnError' | 'version'
>

/**
 * Conditions are compiled once per trigger version and kept (bounded, oldest out first); an operation costs one
 * indexed query for the ids and versions of the tenant's active triggers (a second one only for versions not
 * compiled yet) and a closure call per trigger of each event it raises.
 */
export function createTriggerCatalog(options: {
  maxCached?: number
  warn?: (details: object, message: string) => void
}): TriggerCatalog {
  const maxCached = options.maxCached ?? 20_000
  // Every change of a trigger (name and switches included) bumps its version.
  const keyOf = (row: { id: string; version: number }) => `${row.id}:${row.version}`
  const cache = new Map<string, ReadyTrigger>()

  const prepare = (row: TriggerRow): ReadyTrigger => {
    const key = keyOf(row)
    const cached = cache.get(key)
    if (cached) return cached
    const actionType = row.actionType as ActionType
    const compiled = compileConditions(row.conditions, row.triggerEvent as TriggerEvent)
    // Only a hand-edited row can fail here: the API validates both on every save.
    if (!compiled.ok)
      options.warn?.({ triggerId: row.id, errors: compiled.errors }, 'stored trigger conditions are invalid')
    const action = ACTIONS[actionType]
    const ready: ReadyTrigger = {
      id: row.id,
      name: row.name,
      actionType,
      abortOnError: row.abortOnError,
      conditions: compiled.ok ? compiled.compiled : NEVER,
      actionConfig: action && Value.Check(action.schema, row.actionConfig) ? row.actionConfig : undefined,
      runsInSavepoint: false,
    }
    if (cache.size >= maxCached) {
      const oldest = cache.keys().next().value
      if (oldest !== undefined) cache.delete(oldest)
    }
    cache.set(key, ready)
    return ready
  }

  /** The tenant's active triggers (of one event, or all), in execution order. */
  const active = async (tx: Database, tenantId: string, event?: TriggerEvent) => {
    // The light columns first: the conditions and configs of versions already compiled are not read again.
    const rows = await tx
      .select({ id: bomTriggers.id, version: bomTriggers.version, triggerEvent: bomTriggers.triggerEvent })
      .from(bomTriggers)
      .where(
        and(
          eq(bomTriggers.tenantId, tenantId),
          event ? eq(bomTriggers.triggerEvent, event) : undefined,
          eq(bomTriggers.isActive, true),
        ),
      )
      // Higher priority first; ties in creation order, then by id: the same order on every run.
      .orderBy(desc(bomTriggers.priority), asc(bomTriggers.createdAt), asc(bomTriggers.id))
    // Hits are taken before any miss is compiled, so an eviction in between cannot lose one.
    const ready = new Map<string, ReadyTrigger>()
    const missing: string[] = []
    for (const row of rows) {
      const hit = cache.get(keyOf(row))
      if (hit) ready.set(row.id, hit)
      else missing.push(row.id)
    }
    if (missing.length > 0) {
      const full = await tx.select().from(bomTriggers).where(inArray(bomTriggers.id, missing))
      for (const row of full) ready.set(row.id, prepare(row))
    }
    // By id: a trigger changed between the two reads runs as it is now; one deleted in between is left out.
    return rows.flatMap((row) => {
      const trigger = ready.get(row.id)
      return trigger ? [{ event: row.triggerEvent as TriggerEvent, trigger }] : []
    })
  }

  return {
    prepare,
    activeFor: async (tx, tenantId, event) =>
      (await active(tx, tenantId, event)).map(({ trigger }) => trigger),
    async activeByEvent(tx, tenantId) {
      const byEvent = new Map<TriggerEvent, ReadyTrigger[]>()
      for (const { event, trigger } of await active(tx, tenantId)) {
        const list = byEvent.get(event)
        if (list) list.push(trigger)
        else byEvent.set(event, [trigger])
      }
      return byEvent
    },
  }
}
