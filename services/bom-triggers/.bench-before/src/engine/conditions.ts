import { Decimal } from 'decimal.js'
import type { TriggerEvent } from '../vocabulary.ts'
import type { EventContext } from './event-context.ts'
import { FACTS, type Fact, type FactKind, literalFor } from './facts.ts'

export const OPERATORS = [
  'eq',
  'neq',
  'gt',
  'gte',
  'lt',
  'lte',
  'in',
  'notIn',
  'contains',
  'startsWith',
  'endsWith',
] as const
export type Operator = (typeof OPERATORS)[number]

const ORDERING: readonly Operator[] = ['gt', 'gte', 'lt', 'lte']
const TEXT_MATCHING: readonly Operator[] = ['contains', 'startsWith', 'endsWith']
const LISTS: readonly Operator[] = ['in', 'notIn']
const GROUPS = ['all', 'any', 'not'] as const
const COMPARISON_FIELDS = ['path', 'operator', 'value']

/** Bounds that keep validation and evaluation far from any stack or time limit. */
const MAX_NESTING = 8
const MAX_NODES = 200
const MAX_LIST = 100

export interface FieldError {
  path: string
  message: string
}

/** One node's outcome in a dry run: which conditions matched, with the values compared. */
export interface ConditionResult {
  pointer: string
  kind: 'always' | 'all' | 'any' | 'not' | 'comparison'
  matched: boolean
  path?: string
  operator?: Operator
  expected?: string | string[]
  actual?: string | null
}

type Test = (context: EventContext) => boolean

interface Node {
  pointer: string
  kind: ConditionResult['kind']
  test: Test
  children: Node[]
  comparison?: { path: string; operator: Operator; expected: string | string[]; fact: Fact }
}

export interface CompiledConditions {
  test: Test
  explain(context: EventContext): ConditionResult[]
}

export type CompileResult = { ok: true; compiled: CompiledConditions } | { ok: false; errors: FieldError[] }

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const describeAllowed = (kind: FactKind): string => {
  if (kind === 'decimal') return 'eq, neq, gt, gte, lt, lte, in, notIn'
  if (kind === 'text' || kind === 'taskType') return 'eq, neq, in, notIn, contains, startsWith, endsWith'
  return 'eq, neq, in, notIn'
}

function operatorFits(operator: Operator, kind: FactKind): boolean {
  if (ORDERING.includes(operator)) return kind === 'decimal'
  if (TEXT_MATCHING.includes(operator)) return kind === 'text' || kind === 'taskType'
  return true
}

function decimalTest(read: Fact['read'], expected: string, accept: (order: number) => boolean): Test {
  const bound = new Decimal(expected)
  return (context) => {
    const actual = read(context)
    return actual !== undefined && accept(new Decimal(actual).cmp(bound))
  }
}

/** The closure for one comparison, built once; the JSON is not looked at again per event. */
function comparisonTest(fact: Fact, operator: Operator, expected: string | string[]): Test {
  const read = fact.read
  if (Array.isArray(expected)) {
    const inList: Test =
      fact.kind === 'decimal'
        ? (() => {
            const bounds = expected.map((value) => new Decimal(value))
            return (context) => {
              const actual = read(context)
              if (actual === undefined) return false
              const value = new Decimal(actual)
              return bounds.some((bound) => value.eq(bound))
            }
          })()
        : (() => {
            const members = new Set(expected)
            return (context) => {
              const actual = read(context)
              return actual !== undefined && members.has(actual)
            }
          })()
    return operator === 'in' ? inList : (context) => read(context) !== undefined && !inList(context)
  }
  if (fact.kind === 'decimal') {
    const accept: Record<string, (order: number) => boolean> = {
      eq: (order) => order === 0,
      neq: (order) => order !== 0,
      gt: (order) => order > 0,
      gte: (order) => order >= 0,
      lt: (order) => order < 0,
      lte: (order) => order <= 0,
    }
    return decimalTest(read, expected, accept[operator] ?? (() => false))
  }
  switch (operator) {
    case 'eq':
      return (context) => read(context) === expected
    case 'neq':
      return (context) => {
        const actual = read(context)
        return actual !== undefined && actual !== expected
      }
    case 'contains':
      return (context) => read(context)?.includes(expected) === true
    case 'startsWith':
      return (context) => read(context)?.startsWith(expected) === true
    case 'endsWith':
      return (context) => read(context)?.endsWith(expected) === true
    default:
      return () => false
  }
}

function groupTest(kind: 'all' | 'any' | 'not', children: Node[]): Test {
  const tests = children.map((child) => child.test)
  if (kind === 'not') {
    const inner = tests[0] ?? (() => true)
    return (context) => !inner(context)
  }
  if (kind === 'all') {
    return (context) => {
      for (const test of tests) if (!test(context)) return false
      return true
    }
  }
  return (context) => {
    for (const test of tests) if (test(context)) return true
    return false
  }
}

class Builder {
  readonly errors: FieldError[] = []
  private nodes = 0

  constructor(private readonly event: TriggerEvent) {}

  private fail(path: string, message: string): undefined {
    this.errors.push({ path, message })
    return undefined
  }

  build(raw: unknown, pointer: string, nesting: number): Node | undefined {
    if (++this.nodes > MAX_NODES) return this.fail(pointer, `conditions may have at most ${MAX_NODES} nodes`)
    if (nesting > MAX_NESTING) return this.fail(pointer, `conditions may nest at most ${MAX_NESTING} levels`)
    if (!isObject(raw)) return this.fail(pointer, 'must be an object')
    const keys = Object.keys(raw)
    if (keys.length === 0) {
      if (nesting === 0) return { pointer, kind: 'always', test: () => true, children: [] }
      return this.fail(
        pointer,
        'an empty condition is only allowed as the whole conditions ({} matches every event)',
      )
    }
    const group = GROUPS.find((name) => name in raw)
    if (group) {
      for (const key of keys) {
        if (key !== group)
          this.fail(`${pointer}/${key}`, `unknown field: a group has exactly one of all, any, not`)
      }
      return this.group(group, raw[group], pointer, nesting)
    }
    for (const key of keys) {
      if (!COMPARISON_FIELDS.includes(key))
        this.fail(
          `${pointer}/${key}`,
          'unknown field: a condition is a group (all, any, not) or path, operator, value',
        )
    }
    return this.comparison(raw, pointer)
  }

  private group(
    kind: 'all' | 'any' | 'not',
    raw: unknown,
    pointer: string,
    nesting: number,
  ): Node | undefined {
    const at = `${pointer}/${kind}`
    if (kind === 'not') {
      const child = this.build(raw, at, nesting + 1)
      return child ? { pointer, kind, test: groupTest(kind, [child]), children: [child] } : undefined
    }
    if (!Array.isArray(raw)) return this.fail(at, 'must be an array of conditions')
    if (kind === 'any' && raw.length === 0) return this.fail(at, 'must hold at least one condition')
    const children = raw.map((item, index) => this.build(item, `${at}/${index}`, nesting + 1))
    if (children.some((child) => child === undefined)) return undefined
    const built = children as Node[]
    return { pointer, kind, test: groupTest(kind, built), children: built }
  }

  private comparison(raw: Record<string, unknown>, pointer: string): Node | undefined {
    const before = this.errors.length
    const path = raw.path
    const fact = typeof path === 'string' ? FACTS[path] : undefined
    if (typeof path !== 'string')
      this.fail(`${pointer}/path`, 'is required: the fact to compare, e.g. "task.type"')
    else if (!fact)
      this.fail(`${pointer}/path`, `unknown path; known paths: ${Object.keys(FACTS).join(', ')}`)
    else if (!fact.events.includes(this.event))
      this.fail(`${pointer}/path`, `is not part of ${this.event} events (only of ${fact.events.join(', ')})`)
    const operator = raw.operator as Operator
    if (typeof raw.operator !== 'string' || !OPERATORS.includes(operator)) {
      this.fail(`${pointer}/operator`, `must be one of ${OPERATORS.join(', ')}`)
    } else if (fact && !operatorFits(operator, fact.kind)) {
      this.fail(
        `${pointer}/operator`,
        `${operator} does not apply to ${path}; use ${describeAllowed(fact.kind)}`,
      )
    }
    if (this.errors.length > before || !fact) return undefined
    const expected = this.expected(fact.kind, operator, raw.value, `${pointer}/value`)
    if (expected === undefined) return undefined
    return {
      pointer,
      kind: 'comparison',
      test: comparisonTest(fact, operator, expected),
      children: [],
      comparison: { path: path as string, operator, expected, fact },
    }
  }

  private expected(
    kind: FactKind,
    operator: Operator,
    value: unknown,
    at: string,
  ): string | string[] | undefined {
    if (value === undefined) return this.fail(at, 'is required')
    if (LISTS.includes(operator)) {
      if (!Array.isArray(value) || value.length === 0 || value.length > MAX_LIST)
        return this.fail(at, `must be an array of 1 to ${MAX_LIST} values`)
      const values: string[] = []
      value.forEach((item, index) => {
        const literal = literalFor(kind, item)
        if (literal.ok) values.push(literal.value)
        else this.fail(`${at}/${index}`, literal.message)
      })
      return values.length === value.length ? values : undefined
    }
    const literal = literalFor(kind, value)
    return literal.ok ? literal.value : this.fail(at, literal.message)
  }
}

function explainNode(node: Node, context: EventContext, results: ConditionResult[]): void {
  const matched = node.test(context)
  if (node.comparison) {
    const { path, operator, expected, fact } = node.comparison
    results.push({
      pointer: node.pointer,
      kind: 'comparison',
      matched,
      path,
      operator,
      expected,
      actual: fact.read(context) ?? null,
    })
    return
  }
  results.push({ pointer: node.pointer, kind: node.kind, matched })
  for (const child of node.children) explainNode(child, context, results)
}

/**
 * Validates a trigger's conditions for its event and compiles them into closures. Errors name the JSON pointer of
 * the bad part under `/conditions` (e.g. `/conditions/all/1/operator`).
 */
export function compileConditions(raw: unknown, event: TriggerEvent): CompileResult {
  const builder = new Builder(event)
  const root = builder.build(raw, '/conditions', 0)
  if (!root || builder.errors.length > 0) return { ok: false, errors: builder.errors }
  return {
    ok: true,
    compiled: {
      test: root.test,
      explain(context) {
        const results: ConditionResult[] = []
        explainNode(root, context, results)
        return results
      },
    },
  }
}
