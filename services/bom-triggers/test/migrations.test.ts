import { migrateDown, migrateUp } from '@gatehouse/db-kit'
import type { TestDb } from '@gatehouse/db-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeMaterial, makeTask, makeTrigger } from './factories.ts'
import { closeTestApp, MIGRATIONS_DIR, openTestApp, Tenant, type TestApp } from './fixtures.ts'

let db: TestDb
let t: TestApp
beforeAll(async () => {
  ;({ db, t } = await openTestApp())
})
afterAll(async () => closeTestApp(t, db))

const options = { migrationsDir: MIGRATIONS_DIR, service: 'bom-triggers' }
const TABLES = [
  'materials',
  'tasks',
  'task_bom_items',
  'task_costs',
  'tenant_setups',
  'bom_triggers',
  'bom_trigger_logs',
  'webhook_outbox',
]

async function relation(name: string): Promise<boolean> {
  const [row] = await db.raw.query<{ exists: boolean }>('select to_regclass($1) is not null as exists', [
    name,
  ])
  return row?.exists ?? false
}

async function cleanupFunctionExists(): Promise<boolean> {
  const rows = await db.raw.query("select 1 from pg_proc where proname = 'cleanup_old_trigger_logs'")
  return rows.length === 1
}

// The seed's queries, character for character.
const SEED_CHECK = 'SELECT id, name, trigger_event, action_type, is_active FROM bom_triggers;'
const RECENT_EXECUTIONS = `SELECT tl.*, t.name, t.trigger_event, t.action_type
FROM bom_trigger_logs tl
JOIN bom_triggers t ON t.id = tl.trigger_id
ORDER BY tl.executed_at DESC
LIMIT 20;`
const EXECUTIONS_BY_TRIGGER = `SELECT t.name, COUNT(*) as executions, 
       SUM(CASE WHEN tl.success THEN 1 ELSE 0 END) as successful
FROM bom_trigger_logs tl
JOIN bom_triggers t ON t.id = tl.trigger_id
GROUP BY t.id, t.name
ORDER BY executions DESC;`
const FAILED_EXECUTIONS = `SELECT tl.*, t.name
FROM bom_trigger_logs tl
JOIN bom_triggers t ON t.id = tl.trigger_id
WHERE tl.success = false
ORDER BY tl.executed_at DESC
LIMIT 10;`

const SEED_TRIGGERS = [
  ['Auto-add UTP cable to LAN tasks', 'ON_TASK_CREATE', 'ADD_MATERIAL', true],
  ['Calculate costs on material add', 'ON_MATERIAL_ADD', 'CALCULATE_COST', true],
  ['Notify on task completion', 'ON_TASK_COMPLETE', 'NOTIFY', true],
]

describe('migration 20251230_add_bom_triggers and its neighbours', () => {
  it("create the seed's tables, indexes and function, and its three example triggers (the seed's check)", async () => {
    for (const table of TABLES) expect([table, await relation(table)]).toEqual([table, true])
    for (const index of [
      'idx_bom_triggers_trigger_event',
      'idx_bom_triggers_is_active',
      'idx_bom_triggers_priority',
    ]) {
      expect([index, await relation(index)]).toEqual([index, true])
    }
    expect(await cleanupFunctionExists()).toBe(true)
    const rows = await db.raw.query<{
      id: string
      name: string
      trigger_event: string
      action_type: string
      is_active: boolean
    }>(SEED_CHECK)
    expect(rows.map((row) => [row.name, row.trigger_event, row.action_type, row.is_active]).sort()).toEqual(
      SEED_TRIGGERS,
    )
    expect(
      (await db.raw.query<{ answer: number }>('SELECT cleanup_old_trigger_logs(90) as answer'))[0],
    ).toEqual({ answer: 0 })
  })

  it("run the seed's monitoring and troubleshooting queries unchanged on real executions", async () => {
    const tenant = new Tenant(t.app)
    await makeTask(tenant, { type: 'LAN' })
    const item = await makeMaterial(tenant, { sku: 'MON-1' })
    await makeTrigger(tenant, {
      name: 'always fails',
      triggerEvent: 'ON_MATERIAL_ADD',
      actionType: 'UPDATE_QUANTITY',
      actionConfig: { sku: 'MON-1', operation: 'add', quantity: '-100' },
    })
    const task = await makeTask(tenant)
    await tenant.post(`/api/tasks/${task.id}/materials`, { materialId: item.id, quantity: '1' })

    const recent = await db.raw.query<Record<string, unknown>>(RECENT_EXECUTIONS)
    expect(recent.length).toBe(4)
    expect(recent[0]).toEqual(
      expect.objectContaining({
        name: expect.any(String),
        trigger_event: expect.any(String),
        action_type: expect.any(String),
        success: expect.any(Boolean),
        input_data: expect.any(Object),
      }),
    )
    const byTrigger = await db.raw.query<{ name: string; executions: unknown; successful: unknown }>(
      EXECUTIONS_BY_TRIGGER,
    )
    const counts = byTrigger.map((row) => [row.name, Number(row.executions), Number(row.successful)])
    expect(counts[0]).toEqual(['Calculate costs on material add', 2, 2])
    expect(counts.slice(1).sort()).toEqual([
      ['Auto-add UTP cable to LAN tasks', 1, 1],
      ['always fails', 1, 0],
    ])
    const failed = await db.raw.query<{ name: string; error: string }>(FAILED_EXECUTIONS)
    expect(failed.map((row) => row.name)).toEqual(['always fails'])
    expect(failed[0]?.error).toContain('-99.0000')

    const active = await db.raw.query('SELECT * FROM bom_triggers WHERE is_active = true;')
    expect(active.length).toBeGreaterThanOrEqual(7)
    const triggerId = (recent.find((row) => row.name === 'always fails') as { trigger_id: string }).trigger_id
    const ofOne = await db.raw.query(
      `SELECT * FROM bom_trigger_logs WHERE trigger_id = '${triggerId}' ORDER BY executed_at DESC;`,
    )
    expect(ofOne).toHaveLength(1)
  })

  it('cleanup_old_trigger_logs(days integer default 90) removes older logs and answers how many', async () => {
    const tenant = new Tenant(t.app)
    await makeTask(tenant, { type: 'LAN' })
    const [{ total }] = (await db.raw.query<{ total: number }>(
      'select count(*)::int as total from bom_trigger_logs',
    )) as [{ total: number }]
    await db.raw.query(
      "update bom_trigger_logs set executed_at = now() - interval '100 days' where tenant_id = $1",
      [tenant.id],
    )
    expect(
      (await db.raw.query<{ removed: number }>('SELECT cleanup_old_trigger_logs(120) as removed'))[0]
        ?.removed,
    ).toBe(0)
    expect(
      (await db.raw.query<{ removed: number }>('SELECT cleanup_old_trigger_logs() as removed'))[0]?.removed,
    ).toBe(2)
    expect(
      (await db.raw.query<{ total: number }>('select count(*)::int as total from bom_trigger_logs'))[0]
        ?.total,
    ).toBe(total - 2)
    await expect(db.raw.query('SELECT cleanup_old_trigger_logs(-1)')).rejects.toThrow(
      /days must be 0 or more/,
    )
  })

  it("revert with their down files (the seed's rollback for 20251230) and apply again", async () => {
    const down = await migrateDown(db, { ...options, steps: 2 })
    expect(down.reverted).toEqual(['0002_webhook_outbox', '20251230_add_bom_triggers'])
    for (const table of ['bom_triggers', 'bom_trigger_logs', 'webhook_outbox'])
      expect(await relation(table)).toBe(false)
    expect(await cleanupFunctionExists()).toBe(false)
    expect(await relation('materials')).toBe(true)

    expect((await migrateUp(db, options)).applied).toEqual([
      '20251230_add_bom_triggers',
      '0002_webhook_outbox',
    ])
    const rows = await db.raw.query<{ name: string }>(SEED_CHECK)
    expect(rows).toHaveLength(3)
    const templates = await db.raw.query('select sku from materials where tenant_id is null')
    expect(templates).toEqual([{ sku: 'UTP-CAT6' }])

    expect((await migrateDown(db, { ...options, steps: 3 })).reverted).toHaveLength(3)
    for (const table of TABLES) expect(await relation(table)).toBe(false)
    expect((await migrateUp(db, options)).applied).toEqual([
      '0000_domain',
      '20251230_add_bom_triggers',
      '0002_webhook_outbox',
    ])
    expect(await db.raw.query(SEED_CHECK)).toHaveLength(3)
  })
})
