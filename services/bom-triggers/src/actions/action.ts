import type { Database } from '@gatehouse/db-kit'
import type { TSchema } from 'typebox'
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
}

export const nothingToDo = (summary: string, details: Record<string, unknown>): Planned => ({
  summary,
  details,
  raises: [],
  apply: async () => ({ output: details, raised: [] }),
})
