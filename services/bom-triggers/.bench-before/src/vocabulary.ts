/** The names the seed (002) gives events and actions, and the task lifecycle they act on. */
export const TRIGGER_EVENTS = [
  'ON_TASK_CREATE',
  'ON_STATUS_CHANGE',
  'ON_TASK_COMPLETE',
  'ON_MATERIAL_ADD',
  'ON_QUANTITY_CHANGE',
] as const
export type TriggerEvent = (typeof TRIGGER_EVENTS)[number]

export const ACTION_TYPES = [
  'ADD_MATERIAL',
  'UPDATE_QUANTITY',
  'REMOVE_MATERIAL',
  'NOTIFY',
  'CALCULATE_COST',
] as const
export type ActionType = (typeof ACTION_TYPES)[number]

export const TASK_STATUSES = ['PENDING', 'IN_PROGRESS', 'ON_HOLD', 'COMPLETED', 'CANCELLED'] as const
export type TaskStatus = (typeof TASK_STATUSES)[number]

/** A closed task keeps its status and BOM; only triggers of the closing operation still act on it. */
export const CLOSED_STATUSES: readonly TaskStatus[] = ['COMPLETED', 'CANCELLED']

/** numeric(14,4) as text: quantities and unit costs travel as strings, never floats. */
export const DECIMAL_PATTERN = '^[0-9]{1,10}(\\.[0-9]{1,4})?$'
/** The same with a sign, for quantity changes. */
export const SIGNED_DECIMAL_PATTERN = '^-?[0-9]{1,10}(\\.[0-9]{1,4})?$'
export const SKU_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'
export const TASK_TYPE_PATTERN = '^[A-Z0-9_]{1,50}$'
