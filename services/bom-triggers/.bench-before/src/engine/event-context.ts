import type { TaskStatus, TriggerEvent } from '../vocabulary.ts'

export interface TaskFacts {
  id: string
  title: string
  type: string
  status: TaskStatus
}

export interface MaterialFacts {
  id: string
  sku: string
  name: string
  unit: string
  unitCost: string
}

/** What a trigger's conditions see of one event; quantities and costs are numeric strings. */
export interface EventContext {
  event: TriggerEvent
  /** 0 for the operation's own event, n for an event raised by a trigger at depth n - 1. */
  depth: number
  task: TaskFacts
  status?: { old: TaskStatus; new: TaskStatus }
  material?: MaterialFacts
  quantity?: { old?: string; new: string }
}
