import { TASK_STATUSES, TASK_TYPE_PATTERN, TRIGGER_EVENTS, type TriggerEvent } from '../vocabulary.ts'
import type { EventContext } from './event-context.ts'

/** How a fact's values compare: decimals numerically, the rest as exact strings. */
export type FactKind = 'text' | 'taskType' | 'status' | 'event' | 'decimal'

export interface Fact {
  kind: FactKind
  /** The events that carry this fact; a condition on any other event is refused on save. */
  events: readonly TriggerEvent[]
  read(context: EventContext): string | undefined
}

const STATUS_EVENTS: readonly TriggerEvent[] = ['ON_STATUS_CHANGE', 'ON_TASK_COMPLETE']
const MATERIAL_EVENTS: readonly TriggerEvent[] = ['ON_MATERIAL_ADD', 'ON_QUANTITY_CHANGE']

/** The paths a condition may name (README: "The condition language"). */
export const FACTS: Readonly<Record<string, Fact>> = {
  event: { kind: 'event', events: TRIGGER_EVENTS, read: (c) => c.event },
  depth: { kind: 'decimal', events: TRIGGER_EVENTS, read: (c) => String(c.depth) },
  'task.id': { kind: 'text', events: TRIGGER_EVENTS, read: (c) => c.task.id },
  'task.title': { kind: 'text', events: TRIGGER_EVENTS, read: (c) => c.task.title },
  'task.type': { kind: 'taskType', events: TRIGGER_EVENTS, read: (c) => c.task.type },
  'task.status': { kind: 'status', events: TRIGGER_EVENTS, read: (c) => c.task.status },
  'status.old': { kind: 'status', events: STATUS_EVENTS, read: (c) => c.status?.old },
  'status.new': { kind: 'status', events: STATUS_EVENTS, read: (c) => c.status?.new },
  'material.id': { kind: 'text', events: MATERIAL_EVENTS, read: (c) => c.material?.id },
  'material.sku': { kind: 'text', events: MATERIAL_EVENTS, read: (c) => c.material?.sku },
  'material.name': { kind: 'text', events: MATERIAL_EVENTS, read: (c) => c.material?.name },
  'material.unit': { kind: 'text', events: MATERIAL_EVENTS, read: (c) => c.material?.unit },
  'material.unitCost': { kind: 'decimal', events: MATERIAL_EVENTS, read: (c) => c.material?.unitCost },
  'quantity.old': { kind: 'decimal', events: ['ON_QUANTITY_CHANGE'], read: (c) => c.quantity?.old },
  'quantity.new': { kind: 'decimal', events: MATERIAL_EVENTS, read: (c) => c.quantity?.new },
}

const DECIMAL = /^-?[0-9]{1,14}(\.[0-9]{1,6})?$/
const TASK_TYPE = new RegExp(TASK_TYPE_PATTERN)

/** The literal a condition compares a fact with, normalized to a string; or why it cannot be one. */
export function literalFor(
  kind: FactKind,
  value: unknown,
): { ok: true; value: string } | { ok: false; message: string } {
  if (kind === 'decimal') {
    const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value
    if (typeof text === 'string' && DECIMAL.test(text)) return { ok: true, value: text }
    return { ok: false, message: 'must be a decimal number as a string, e.g. "10.5"' }
  }
  if (typeof value !== 'string') return { ok: false, message: 'must be a string' }
  if (kind === 'status' && !(TASK_STATUSES as readonly string[]).includes(value))
    return { ok: false, message: `must be one of ${TASK_STATUSES.join(', ')}` }
  if (kind === 'event' && !(TRIGGER_EVENTS as readonly string[]).includes(value))
    return { ok: false, message: `must be one of ${TRIGGER_EVENTS.join(', ')}` }
  if (kind === 'taskType' && !TASK_TYPE.test(value))
    return { ok: false, message: 'task types are upper-case letters, digits and _ (e.g. "LAN")' }
  if (value.length > 500) return { ok: false, message: 'must be at most 500 characters' }
  return { ok: true, value }
}
