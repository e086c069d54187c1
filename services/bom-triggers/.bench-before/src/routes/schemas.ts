import Type from 'typebox'
import { OPERATORS } from '../engine/conditions.ts'
import {
  ACTION_TYPES,
  DECIMAL_PATTERN,
  SKU_PATTERN,
  TASK_STATUSES,
  TASK_TYPE_PATTERN,
  TRIGGER_EVENTS,
} from '../vocabulary.ts'

/** Handlers return Date objects; fast-json-stringify writes them as ISO strings. */
export const Timestamp = Type.Unsafe<Date>(Type.String({ format: 'date-time' }))
export const NullableTimestamp = Type.Unsafe<Date | null>(
  Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
)
export const Uuid = Type.String({ format: 'uuid' })
/** numeric(14,4) as a string, e.g. "12.5"; never a JSON number. */
export const Decimal = Type.String({ pattern: DECIMAL_PATTERN, description: 'a decimal number as a string' })
export const Sku = Type.String({ pattern: SKU_PATTERN })
export const TaskType = Type.String({ pattern: TASK_TYPE_PATTERN, description: 'upper case, e.g. LAN' })
export const TaskStatusSchema = Type.Enum(TASK_STATUSES)
export const TriggerEventSchema = Type.Enum(TRIGGER_EVENTS)
export const ActionTypeSchema = Type.Enum(ACTION_TYPES)
export const IdParams = Type.Object({ id: Uuid })
export const Limit = Type.Integer({ minimum: 1, maximum: 200, default: 50 })
export const Cursor = Type.String({ minLength: 1, maxLength: 200 })
export const NextCursor = Type.Union([Type.String(), Type.Null()])
/** Free JSON whose shape the domain validates itself, with field paths (conditions, actionConfig, outputs). */
export const Json = Type.Unknown()

export const MaterialView = Type.Object({
  id: Uuid,
  sku: Type.String(),
  name: Type.String(),
  unit: Type.String(),
  unitCost: Type.String(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
})

export const BomLineView = Type.Object({
  materialId: Uuid,
  sku: Type.String(),
  name: Type.String(),
  unit: Type.String(),
  quantity: Type.String(),
  unitCost: Type.String(),
  lineTotal: Type.String(),
  addedAt: Timestamp,
})

export const CostView = Type.Object({
  materialsTotal: Type.String(),
  markupPercent: Type.String(),
  total: Type.String(),
  itemCount: Type.Integer(),
  calculatedAt: Timestamp,
  /** The BOM changed after this cost was calculated. */
  stale: Type.Boolean(),
})

export const TaskSummary = Type.Object({
  id: Uuid,
  title: Type.String(),
  type: Type.String(),
  status: TaskStatusSchema,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  completedAt: NullableTimestamp,
})

export const TaskView = Type.Object({
  ...TaskSummary.properties,
  materials: Type.Array(BomLineView),
  cost: Type.Union([CostView, Type.Null()]),
})

export const TriggerRunView = Type.Object({
  triggerId: Uuid,
  name: Type.String(),
  event: TriggerEventSchema,
  depth: Type.Integer(),
  outcome: Type.Enum(['succeeded', 'failed', 'cycle_guard', 'depth_limit']),
  error: Type.Union([Type.String(), Type.Null()]),
})

/** A task after an operation, with the trigger runs the operation caused (in execution order). */
export const TaskOperationView = Type.Object({
  ...TaskView.properties,
  triggerRuns: Type.Array(TriggerRunView),
})

export const TriggerView = Type.Object({
  id: Uuid,
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  triggerEvent: TriggerEventSchema,
  actionType: ActionTypeSchema,
  conditions: Json,
  actionConfig: Json,
  priority: Type.Integer(),
  isActive: Type.Boolean(),
  abortOnError: Type.Boolean(),
  version: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
})

export const LogView = Type.Object({
  id: Uuid,
  triggerId: Type.Union([Uuid, Type.Null()]),
  triggerName: Type.String(),
  taskId: Type.Union([Uuid, Type.Null()]),
  event: TriggerEventSchema,
  outcome: Type.String(),
  success: Type.Boolean(),
  inputData: Json,
  outputData: Json,
  error: Type.Union([Type.String(), Type.Null()]),
  durationMs: Type.Number(),
  depth: Type.Integer(),
  chainId: Uuid,
  executedAt: Timestamp,
})

export const DeliveryView = Type.Object({
  id: Type.String({ description: 'the webhook-id of every attempt' }),
  triggerId: Type.String(),
  url: Type.String(),
  eventType: Type.String(),
  status: Type.Enum(['pending', 'delivered', 'failed']),
  attempts: Type.Integer(),
  nextAttemptAt: NullableTimestamp,
  lastAttemptAt: NullableTimestamp,
  lastResponseStatus: Type.Union([Type.Integer(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  deliveredAt: NullableTimestamp,
  createdAt: Timestamp,
  body: Type.String({ description: 'the exact signed payload' }),
})

export const ConditionResultView = Type.Object({
  pointer: Type.String(),
  kind: Type.Enum(['always', 'all', 'any', 'not', 'comparison']),
  matched: Type.Boolean(),
  path: Type.Optional(Type.String()),
  operator: Type.Optional(Type.Enum(OPERATORS)),
  expected: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
  actual: Type.Optional(Type.Union([Type.String(), Type.Null()])),
})
