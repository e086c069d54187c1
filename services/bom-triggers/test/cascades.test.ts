import type { TestDb } from '@gatehouse/db-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { disableSeededTriggers, makeMaterial, makeTask, makeTrigger } from './factories.ts'
import { closeTestApp, openTestApp, Tenant, type TestApp } from './fixtures.ts'

let db: TestDb
let t: TestApp
beforeAll(async () => {
  ;({ db, t } = await openTestApp({ env: { TRIGGER_MAX_DEPTH: '4' } }))
})
afterAll(async () => closeTestApp(t, db))

async function tenantWithoutSeeds() {
  const tenant = new Tenant(t.app)
  await disableSeededTriggers(tenant)
  return tenant
}

/** On a quantity change of `from`, add one to `to`: a trigger that raises ON_QUANTITY_CHANGE itself. */
function bump(from: string, to: string, options: { abortOnError?: boolean } = {}) {
  return {
    name: `bump ${to} when ${from} changes`,
    triggerEvent: 'ON_QUANTITY_CHANGE',
    actionType: 'UPDATE_QUANTITY',
    conditions: { all: [{ path: 'material.sku', operator: 'eq', value: from }] },
    actionConfig: { sku: to, operation: 'add', quantity: '1' },
    ...options,
  }
}

async function taskWith(tenant: Tenant, skus: string[]) {
  const task = await makeTask(tenant)
  for (const sku of skus) {
    const answer = await tenant.post(`/api/tasks/${task.id}/materials`, { sku, quantity: '1' })
    expect(answer.status).toBe(201)
  }
  return task
}

describe('cascades', () => {
  it('two triggers that fire each other stop at the cycle guard, which is logged', async () => {
    const tenant = await tenantWithoutSeeds()
    const a = await makeMaterial(tenant, { sku: 'LOOP-A' })
    const b = await makeMaterial(tenant, { sku: 'LOOP-B' })
    await makeTrigger(tenant, bump(a.sku, b.sku))
    await makeTrigger(tenant, bump(b.sku, a.sku))
    const task = await taskWith(tenant, [a.sku, b.sku])

    const changed = await tenant.patch(`/api/tasks/${task.id}/materials/${a.id}`, { quantity: '10' })
    expect(changed.status).toBe(200)
    expect(
      changed.body.triggerRuns.map((run: { name: string; outcome: string; depth: number }) => [
        run.name,
        run.outcome,
        run.depth,
      ]),
    ).toEqual([
      [`bump ${b.sku} when ${a.sku} changes`, 'succeeded', 0],
      [`bump ${a.sku} when ${b.sku} changes`, 'succeeded', 1],
      [`bump ${b.sku} when ${a.sku} changes`, 'cycle_guard', 2],
    ])
    // 10 + 1 from the second trigger; B went 1 -> 2 once.
    const quantities = Object.fromEntries(
      changed.body.materials.map((line: { sku: string; quantity: string }) => [line.sku, line.quantity]),
    )
    expect(quantities).toEqual({ [a.sku]: '11.0000', [b.sku]: '2.0000' })
    const failed = await tenant.get(`/api/bom-triggers/logs?taskId=${task.id}&success=false`)
    expect(failed.body.items).toEqual([
      expect.objectContaining({
        outcome: 'cycle_guard',
        success: false,
        depth: 2,
        error: expect.stringContaining('cycle guard'),
      }),
    ])
  })

  it('a chain of distinct triggers stops at the depth limit, logged, with the work before it kept', async () => {
    const tenant = await tenantWithoutSeeds()
    const skus = ['C0', 'C1', 'C2', 'C3', 'C4', 'C5', 'C6'].map((suffix) => `CHAIN-${suffix}`)
    for (const sku of skus) await makeMaterial(tenant, { sku })
    for (let i = 0; i < skus.length - 1; i++) await makeTrigger(tenant, bump(skus[i]!, skus[i + 1]!))
    const task = await taskWith(tenant, skus)
    const first = (await tenant.get(`/api/tasks/${task.id}`)).body.materials.find(
      (line: { sku: string }) => line.sku === skus[0],
    )

    const changed = await tenant.patch(`/api/tasks/${task.id}/materials/${first.materialId}`, {
      quantity: '5',
    })
    expect(changed.status).toBe(200)
    expect(
      changed.body.triggerRuns.map((run: { outcome: string; depth: number }) => [run.depth, run.outcome]),
    ).toEqual([
      [0, 'succeeded'],
      [1, 'succeeded'],
      [2, 'succeeded'],
      [3, 'succeeded'],
      [4, 'depth_limit'],
    ])
    const quantities = changed.body.materials.map((line: { quantity: string }) => line.quantity)
    expect(quantities).toEqual(['5.0000', '2.0000', '2.0000', '2.0000', '2.0000', '1.0000', '1.0000'])
  })

  it('a failing action without abortOnError is logged and the operation goes through', async () => {
    const tenant = await tenantWithoutSeeds()
    const m = await makeMaterial(tenant, { sku: 'SOFT-FAIL' })
    await makeTrigger(tenant, {
      name: 'take ten',
      triggerEvent: 'ON_MATERIAL_ADD',
      actionType: 'UPDATE_QUANTITY',
      actionConfig: { sku: m.sku, operation: 'add', quantity: '-10' },
    })
    const task = await makeTask(tenant)
    const added = await tenant.post(`/api/tasks/${task.id}/materials`, { sku: m.sku, quantity: '2' })
    expect(added.status).toBe(201)
    expect(added.body.materials).toEqual([expect.objectContaining({ sku: m.sku, quantity: '2.0000' })])
    expect(added.body.triggerRuns).toEqual([
      expect.objectContaining({
        name: 'take ten',
        outcome: 'failed',
        error: expect.stringContaining('would become -8.0000'),
      }),
    ])
    const logs = await tenant.get(`/api/bom-triggers/logs?taskId=${task.id}`)
    expect(logs.body.items).toEqual([expect.objectContaining({ success: false, outcome: 'failed' })])
  })

  it('an action the database refuses is logged by its SQLSTATE only, never with the SQL or its values', async () => {
    const tenant = new Tenant(t.app)
    const huge = await makeMaterial(tenant, { sku: 'HUGE', unitCost: '9999999999.0000' })
    const task = await makeTask(tenant)
    // The seeded CALCULATE_COST overflows numeric(18,4) for this line: 9999999999 x 9999999999.
    const added = await tenant.post(`/api/tasks/${task.id}/materials`, {
      materialId: huge.id,
      quantity: '9999999999',
    })
    expect(added.status).toBe(201)
    expect(added.body.triggerRuns).toEqual([
      expect.objectContaining({
        name: 'Calculate costs on material add',
        outcome: 'failed',
        error: 'the database refused the change (SQLSTATE 22003)',
      }),
    ])
    expect(added.body.cost).toBeNull()
  })

  it('after a database refusal the operation runs again with savepoints: the other work stays, each run is logged once', async () => {
    // The seeded CALCULATE_COST on ON_MATERIAL_ADD overflows numeric(18,4) after this trigger's line.
    const tenant = new Tenant(t.app)
    const huge = await makeMaterial(tenant, { sku: 'HUGE-LINE', unitCost: '9999999999.0000' })
    await makeTrigger(tenant, {
      name: 'add a huge line',
      triggerEvent: 'ON_TASK_CREATE',
      actionType: 'ADD_MATERIAL',
      conditions: { all: [{ path: 'task.type', operator: 'eq', value: 'BIG' }] },
      actionConfig: { sku: huge.sku, quantity: '9999999999' },
    })
    for (const title of ['Big 1', 'Big 2']) {
      const created = await tenant.post('/api/tasks', { title, type: 'BIG' })
      expect(created.status).toBe(201)
      expect(
        created.body.triggerRuns.map((run: { name: string; outcome: string; error: string | null }) => [
          run.name,
          run.outcome,
          run.error,
        ]),
      ).toEqual([
        ['add a huge line', 'succeeded', null],
        ['Calculate costs on material add', 'failed', 'the database refused the change (SQLSTATE 22003)'],
      ])
      expect(created.body.materials).toEqual([
        expect.objectContaining({ sku: huge.sku, quantity: '9999999999.0000' }),
      ])
      expect(created.body.cost).toBeNull()
      const logs = await tenant.get(`/api/bom-triggers/logs?taskId=${created.body.id}`)
      expect(logs.body.items.map((log: { outcome: string }) => log.outcome).sort()).toEqual([
        'failed',
        'succeeded',
      ])
    }
    // The first attempts were rolled back: two tasks, not more.
    expect((await tenant.get('/api/tasks?type=BIG')).body.items).toHaveLength(2)
  })

  it('a held-back line the database refuses sends the operation to its second attempt: logged once, the cost behind it runs', async () => {
    const tenant = await tenantWithoutSeeds()
    const m = await makeMaterial(tenant, { sku: 'REFUSED-LINE' })
    // Refused when the chain writes its held-back lines, together with the cost statement sent behind them.
    await db.raw.exec(`
      create function refuse_test_line() returns trigger language plpgsql as $$
      begin
        if new.quantity = 7777 then raise exception 'refused by the test'; end if;
        return new;
      end $$;
      create trigger refuse_test_line before insert on task_bom_items
        for each row execute function refuse_test_line();`)
    try {
      await makeTrigger(tenant, {
        name: 'add a refused line',
        triggerEvent: 'ON_TASK_CREATE',
        actionType: 'ADD_MATERIAL',
        actionConfig: { sku: m.sku, quantity: '7777' },
        priority: 10,
      })
      await makeTrigger(tenant, {
        name: 'cost it',
        triggerEvent: 'ON_TASK_CREATE',
        actionType: 'CALCULATE_COST',
        actionConfig: {},
      })
      for (const title of ['Refused 1', 'Refused 2']) {
        const task = await makeTask(tenant, { title })
        expect(task.triggerRuns.map((run) => [run.name, run.outcome, run.error])).toEqual([
          ['add a refused line', 'failed', 'the database refused the change (SQLSTATE P0001)'],
          ['cost it', 'succeeded', null],
        ])
        expect(task.materials).toEqual([])
        expect(task.cost).toEqual(expect.objectContaining({ total: '0.0000', itemCount: 0 }))
        const logs = await tenant.get(`/api/bom-triggers/logs?taskId=${task.id}`)
        expect(logs.body.items.map((log: { outcome: string }) => log.outcome).sort()).toEqual([
          'failed',
          'succeeded',
        ])
      }
      // The first attempt was rolled back: two tasks, not more.
      expect((await tenant.get('/api/tasks')).body.items).toHaveLength(2)
    } finally {
      await db.raw.exec('drop trigger refuse_test_line on task_bom_items; drop function refuse_test_line();')
    }
  })

  it('a later trigger of the same event sees the line an earlier one added', async () => {
    const tenant = await tenantWithoutSeeds()
    const m = await makeMaterial(tenant, { sku: 'ADD-THEN-SET' })
    await makeTrigger(tenant, {
      name: 'add it',
      triggerEvent: 'ON_TASK_CREATE',
      actionType: 'ADD_MATERIAL',
      actionConfig: { sku: m.sku, quantity: '1' },
      priority: 10,
    })
    await makeTrigger(tenant, {
      name: 'set it to 5',
      triggerEvent: 'ON_TASK_CREATE',
      actionType: 'UPDATE_QUANTITY',
      actionConfig: { sku: m.sku, operation: 'set', quantity: '5' },
    })
    const task = await makeTask(tenant)
    expect(task.triggerRuns.map((run) => [run.name, run.outcome])).toEqual([
      ['add it', 'succeeded'],
      ['set it to 5', 'succeeded'],
    ])
    expect(task.materials).toEqual([expect.objectContaining({ sku: m.sku, quantity: '5.0000' })])
  })

  it('a failing action with abortOnError rolls the whole operation back (422) and still logs the failure', async () => {
    const tenant = await tenantWithoutSeeds()
    const m = await makeMaterial(tenant, { sku: 'HARD-FAIL' })
    const other = await makeMaterial(tenant, { sku: 'ADDED-FIRST' })
    await makeTrigger(tenant, {
      name: 'add another first',
      triggerEvent: 'ON_MATERIAL_ADD',
      actionType: 'ADD_MATERIAL',
      conditions: { all: [{ path: 'material.sku', operator: 'eq', value: m.sku }] },
      actionConfig: { sku: other.sku, quantity: '1' },
      priority: 10,
    })
    const strict = await makeTrigger(tenant, {
      name: 'take ten or nothing',
      triggerEvent: 'ON_MATERIAL_ADD',
      actionType: 'UPDATE_QUANTITY',
      conditions: { all: [{ path: 'material.sku', operator: 'eq', value: m.sku }] },
      actionConfig: { sku: m.sku, operation: 'add', quantity: '-10' },
      abortOnError: true,
    })
    const task = await makeTask(tenant)
    const added = await tenant.post(`/api/tasks/${task.id}/materials`, { sku: m.sku, quantity: '2' })
    expect(added.status).toBe(422)
    expect(added.headers['content-type']).toContain('application/problem+json')
    expect(added.body).toMatchObject({
      code: 'BOM_TRIGGERS_TRIGGER_ABORTED',
      triggerId: strict.id,
      triggerEvent: 'ON_MATERIAL_ADD',
    })
    expect(added.body.detail).toContain('would become -8.0000')
    // Neither the line nor what the earlier trigger added survived.
    expect((await tenant.get(`/api/tasks/${task.id}`)).body.materials).toEqual([])
    const logs = await tenant.get(`/api/bom-triggers/logs?taskId=${task.id}`)
    expect(logs.body.items).toEqual([
      expect.objectContaining({
        triggerId: strict.id,
        outcome: 'failed',
        success: false,
        outputData: { rolledBack: true },
      }),
    ])
  })

  it('an aborted task creation leaves no task, and its failure log points at none', async () => {
    const tenant = await tenantWithoutSeeds()
    const m = await makeMaterial(tenant, { sku: 'TO-DELETE' })
    const gone = await makeTrigger(tenant, {
      name: 'add deleted material',
      triggerEvent: 'ON_TASK_CREATE',
      actionType: 'ADD_MATERIAL',
      actionConfig: { sku: m.sku, quantity: '1' },
      abortOnError: true,
    })
    // The material disappears behind the trigger's back (e.g. by hand in SQL): its action now fails.
    await db.raw.query('delete from materials where id = $1', [m.id])
    const answer = await tenant.post('/api/tasks', { title: 'Doomed', type: 'GENERAL' })
    expect(answer.status).toBe(422)
    expect(answer.body.triggerId).toBe(gone.id)
    expect((await tenant.get('/api/tasks')).body.items).toEqual([])
    const logs = await tenant.get(`/api/bom-triggers/logs?triggerId=${gone.id}`)
    expect(logs.body.items).toEqual([
      expect.objectContaining({
        taskId: null,
        outcome: 'failed',
        error: `no material with SKU ${m.sku} in the catalogue`,
      }),
    ])
  })
})
