/**
 * The bench's 50 active triggers, all on ON_TASK_CREATE so every task creation evaluates all of them. A LAN task
 * "Office LAN n" matches 5 (four add a material, one computes the cost); a FIBER task matches none.
 */
export const BENCH_SKUS = ['BENCH-CABLE', 'BENCH-JACK', 'BENCH-PATCH', 'BENCH-LABEL']

type Condition = Record<string, unknown>
const cmp = (path: string, operator: string, value: unknown): Condition => ({ path, operator, value })

function nonMatching(i: number): Condition {
  switch (i % 5) {
    case 0:
      return { all: [cmp('task.type', 'eq', `TYPE_${i}`)] }
    case 1:
      return { all: [cmp('task.type', 'in', ['FIBER', `T${i}`]), cmp('task.title', 'contains', 'Campus')] }
    case 2:
      return { any: [cmp('task.title', 'startsWith', `Site ${i}`), cmp('task.status', 'eq', 'ON_HOLD')] }
    case 3:
      return { all: [cmp('task.type', 'eq', 'LAN'), { not: cmp('task.title', 'contains', 'Office') }] }
    default:
      return { all: [cmp('task.type', 'notIn', ['LAN', 'FIBER']), cmp('depth', 'lt', '1')] }
  }
}

export interface BenchTrigger {
  name: string
  triggerEvent: 'ON_TASK_CREATE'
  actionType: 'ADD_MATERIAL' | 'CALCULATE_COST'
  conditions: Condition
  actionConfig: Record<string, unknown>
  priority: number
}

export function benchTriggers(): BenchTrigger[] {
  const matching = { all: [cmp('task.type', 'eq', 'LAN'), cmp('task.status', 'eq', 'PENDING')] }
  const triggers: BenchTrigger[] = BENCH_SKUS.map((sku, i) => ({
    name: `bench add ${sku}`,
    triggerEvent: 'ON_TASK_CREATE',
    actionType: 'ADD_MATERIAL',
    conditions: matching,
    actionConfig: { sku, quantity: String(i + 1) },
    priority: 10,
  }))
  triggers.push({
    name: 'bench cost',
    triggerEvent: 'ON_TASK_CREATE',
    actionType: 'CALCULATE_COST',
    conditions: { all: [cmp('task.type', 'in', ['LAN', 'WLAN'])] },
    actionConfig: { markupPercent: '12.5' },
    priority: -10,
  })
  for (let i = 0; triggers.length < 50; i++) {
    triggers.push({
      name: `bench skip ${i}`,
      triggerEvent: 'ON_TASK_CREATE',
      actionType: 'CALCULATE_COST',
      conditions: nonMatching(i),
      actionConfig: {},
      priority: i % 7,
    })
  }
  return triggers
}

const JRE_OPERATORS: Record<string, string> = {
  eq: 'equal',
  neq: 'notEqual',
  in: 'in',
  notIn: 'notIn',
  contains: 'stringContains',
  startsWith: 'startsWith',
  gt: 'greaterThan',
  gte: 'greaterThanInclusive',
  lt: 'lessThan',
  lte: 'lessThanInclusive',
}
const NUMERIC = new Set(['gt', 'gte', 'lt', 'lte'])

/** The same condition in json-rules-engine's shape (facts named by our paths, numbers as numbers). */
export function toJsonRulesEngine(node: Condition): Condition {
  if (Array.isArray(node.all)) return { all: node.all.map((child) => toJsonRulesEngine(child as Condition)) }
  if (Array.isArray(node.any)) return { any: node.any.map((child) => toJsonRulesEngine(child as Condition)) }
  if (node.not) return { not: toJsonRulesEngine(node.not as Condition) }
  const operator = String(node.operator)
  return {
    fact: node.path,
    operator: JRE_OPERATORS[operator],
    value: NUMERIC.has(operator) ? Number(node.value) : node.value,
  }
}
