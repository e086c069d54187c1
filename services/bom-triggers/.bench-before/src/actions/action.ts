import type { Database } from '@gatehouse/db-kit'
import type { TSchema } from 'typebox'
import type { MaterialOnTask, NewLine } from '../bom.ts'
import type { FieldError } from '../engine/conditions.ts'
import type { EventContext } from '../engine/event-context.ts'
import type { TriggerEvent } from '../vocabulary.ts'

/** A failure an action reports on purpose; its message is safe to log and to show the tenant. */
export class ActionError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ActionError'
  }
}

export interface ActionScope {
  /** The savepoint the action runs in (or the read-only transaction of a dry run). */
  tx: Database
  tenantId: string
  trigger: { id: string; name: string }
  event: EventContext
  now: Date
  /** A catalogue material by SKU and its line on the event's task (a chain reads each once, see engine/chain.ts). */
  findMaterial(sku: string): Promise<MaterialOnTask | undefined>
  /** Adds a BOM line: at once, or (a chain's first attempt) batched into one statement with the chain's next lines. */
  insertLine(line: NewLine): Promise<void>
}

/** An event an applied action raises, before the chain gives it its depth. */
export type RaisedEvent = Omit<EventContext, 'depth'>

export interface Applied {
  output: Record<string, unknown>
  raised: RaisedEvent[]
  /** Webhook messages written to the outbox (the worker is woken after commit). */
  webhooks?: number
}

/** What the action would do, found with reads only; `apply` does it. A dry run stops before `apply`. */
export interface Planned {
  summary: string
  details: Record<string, unknown>
  raises: TriggerEvent[]
  apply(): Promise<Applied>
}

export interface SaveCheck {
  db: Database
  tenantId: string
  allowPrivateNetworks: boolean
}

export interface ActionDefinition<C> {
  /** The action_config schema of this action type (unknown fields refused). */
  schema: TSchema
  /** Checks beyond the schema, done when a trigger is saved; paths under /actionConfig. */
  check(config: C, on: SaveCheck): Promise<FieldError[]>
  plan(scope: ActionScope, config: C): Promise<Planned>
  /**
   * Its plan reads only through findMaterial and its apply writes only through insertLine: a chain may hold the
   * line back and write it with the next ones, before any other statement.
   */
  batchesLines?: boolean
  /** plan + apply in fewer round trips, for an action that can; a trigger run uses it, a dry run never does. */
  execute?(scope: ActionScope, config: C): Promise<Applied>
}

export const nothingToDo = (summary: string, details: Record<string, unknown>): Planned => ({
  summary,
  details,
  raises: [],
  apply: async () => ({ output: details, raised: [] }),
})
