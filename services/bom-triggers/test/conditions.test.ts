import { describe, expect, it } from 'vitest'
import { compileConditions } from '../src/engine/conditions.ts'
import type { EventContext } from '../src/engine/event-context.ts'

const added: EventContext = {
  event: 'ON_MATERIAL_ADD',
  depth: 0,
  task: { id: 't1', title: 'Campus LAN, building 4', type: 'LAN', status: 'IN_PROGRESS' },
  material: { id: 'm1', sku: 'UTP-CAT6', name: 'UTP Cat6 cable', unit: 'm', unitCost: '0.4500' },
  quantity: { new: '10.0000' },
}

function compiled(conditions: unknown, event: EventContext['event'] = 'ON_MATERIAL_ADD') {
  const result = compileConditions(conditions, event)
  if (!result.ok) throw new Error(JSON.stringify(result.errors))
  return result.compiled
}

const matches = (conditions: unknown, context = added) => compiled(conditions, context.event).test(context)
const cmp = (path: string, operator: string, value: unknown) => ({ path, operator, value })

describe('the condition language', () => {
  it('{} matches every event; all of nothing matches too', () => {
    expect(matches({})).toBe(true)
    expect(matches({ all: [] })).toBe(true)
  })

  it('compares decimals by value, exactly, whatever their scale', () => {
    expect(matches(cmp('quantity.new', 'eq', '10'))).toBe(true)
    expect(matches(cmp('quantity.new', 'gt', '9.9999'))).toBe(true)
    expect(matches(cmp('quantity.new', 'gt', '10.0'))).toBe(false)
    expect(matches(cmp('quantity.new', 'gte', 10))).toBe(true)
    expect(matches(cmp('material.unitCost', 'lt', '0.450001'))).toBe(true)
    expect(matches(cmp('material.unitCost', 'lte', '0.4499'))).toBe(false)
    expect(matches(cmp('quantity.new', 'in', ['5', '10.00']))).toBe(true)
    expect(matches(cmp('quantity.new', 'notIn', ['5', '10.00']))).toBe(false)
    expect(matches(cmp('depth', 'lt', '1'))).toBe(true)
    expect(matches(cmp('quantity.new', 'eq', '0.30'), { ...added, quantity: { new: '0.3' } })).toBe(true)
  })

  it('compares text exactly, with contains / startsWith / endsWith, and sets', () => {
    expect(matches(cmp('task.type', 'eq', 'LAN'))).toBe(true)
    expect(matches(cmp('task.type', 'neq', 'LAN'))).toBe(false)
    expect(matches(cmp('task.title', 'contains', 'Campus'))).toBe(true)
    expect(matches(cmp('task.title', 'contains', 'campus'))).toBe(false)
    expect(matches(cmp('task.title', 'startsWith', 'Campus'))).toBe(true)
    expect(matches(cmp('task.title', 'endsWith', '4'))).toBe(true)
    expect(matches(cmp('task.status', 'in', ['PENDING', 'IN_PROGRESS']))).toBe(true)
    expect(matches(cmp('event', 'eq', 'ON_MATERIAL_ADD'))).toBe(true)
  })

  it('combines with all, any and not', () => {
    const lanOrBig = { any: [cmp('task.type', 'eq', 'FIBER'), cmp('quantity.new', 'gte', '10')] }
    expect(matches({ all: [lanOrBig, { not: cmp('material.sku', 'startsWith', 'RJ') }] })).toBe(true)
    expect(matches({ not: lanOrBig })).toBe(false)
    expect(matches({ all: [cmp('task.type', 'eq', 'LAN'), cmp('task.type', 'eq', 'FIBER')] })).toBe(false)
  })

  it('explains every node with the values it compared', () => {
    const explained = compiled({
      all: [cmp('task.type', 'eq', 'LAN'), { not: cmp('quantity.new', 'gt', '5') }],
    }).explain(added)
    expect(explained).toEqual([
      { pointer: '/conditions', kind: 'all', matched: false },
      {
        pointer: '/conditions/all/0',
        kind: 'comparison',
        matched: true,
        path: 'task.type',
        operator: 'eq',
        expected: 'LAN',
        actual: 'LAN',
      },
      { pointer: '/conditions/all/1', kind: 'not', matched: false },
      {
        pointer: '/conditions/all/1/not',
        kind: 'comparison',
        matched: true,
        path: 'quantity.new',
        operator: 'gt',
        expected: '5',
        actual: '10.0000',
      },
    ])
  })

  it('refuses what it cannot compile, naming the path of each problem', () => {
    const errors = (conditions: unknown, event: EventContext['event'] = 'ON_MATERIAL_ADD') => {
      const result = compileConditions(conditions, event)
      return result.ok ? [] : result.errors.map((error) => error.path)
    }
    expect(errors([])).toEqual(['/conditions'])
    expect(errors({ all: {} })).toEqual(['/conditions/all'])
    expect(errors({ any: [] })).toEqual(['/conditions/any'])
    expect(errors({ all: [{}] })).toEqual(['/conditions/all/0'])
    expect(errors({ all: [], any: [] })).toEqual(['/conditions/any'])
    expect(errors({ all: [cmp('task.type', 'eq', 'LAN'), { path: 'task.type', value: 'LAN' }] })).toEqual([
      '/conditions/all/1/operator',
    ])
    expect(errors(cmp('quantity.old', 'gt', '1'))).toEqual(['/conditions/path'])
    expect(errors(cmp('quantity.new', 'gt', '1'), 'ON_TASK_CREATE')).toEqual(['/conditions/path'])
    expect(errors(cmp('quantity.new', 'gt', 'ten'))).toEqual(['/conditions/value'])
    expect(errors(cmp('quantity.new', 'gt', 1e21))).toEqual(['/conditions/value'])
    expect(errors(cmp('task.title', 'eq', 5))).toEqual(['/conditions/value'])
    expect(errors(cmp('task.status', 'eq', 'DONE'))).toEqual(['/conditions/value'])
    expect(errors(cmp('task.type', 'eq', 'lan'))).toEqual(['/conditions/value'])
    expect(errors(cmp('task.type', 'in', []))).toEqual(['/conditions/value'])
    expect(errors(cmp('task.type', 'in', ['LAN', 7]))).toEqual(['/conditions/value/1'])
    expect(errors(cmp('task.status', 'contains', 'PEND'))).toEqual(['/conditions/operator'])
    expect(errors({ path: 'task.type' })).toEqual(['/conditions/operator'])
    expect(errors({ operator: 'eq', value: 'x' })).toEqual(['/conditions/path'])
  })

  it('bounds nesting and size instead of overflowing', () => {
    let deep: unknown = cmp('task.type', 'eq', 'LAN')
    for (let i = 0; i < 20; i++) deep = { not: deep }
    const nested = compileConditions(deep, 'ON_TASK_CREATE')
    expect(nested.ok).toBe(false)
    expect(nested.ok ? '' : nested.errors[0]?.message).toContain('nest at most')
    const wide = compileConditions(
      { any: Array.from({ length: 300 }, () => cmp('task.type', 'eq', 'LAN')) },
      'ON_TASK_CREATE',
    )
    expect(wide.ok ? '' : wide.errors[0]?.message).toContain('at most 200 nodes')
  })
})
