import type { TestDb } from '@gatehouse/db-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTriggerCatalog } from '../src/engine/trigger-catalog.ts'
import { closeTestApp, openTestApp, Tenant, type TestApp } from './fixtures.ts'

let db: TestDb
let t: TestApp
beforeAll(async () => {
  ;({ db, t } = await openTestApp())
})
afterAll(async () => closeTestApp(t, db))

describe('trigger catalogue', () => {
  it('compiles a trigger once per version and hands out the same closures on every event', async () => {
    const tenant = new Tenant(t.app)
    const { body } = await tenant.get('/api/bom-triggers?triggerEvent=ON_TASK_CREATE')
    const triggerId = body.items[0].id as string
    const catalog = createTriggerCatalog({})
    const first = await catalog.activeFor(db.db, tenant.id, 'ON_TASK_CREATE')
    const second = await catalog.activeFor(db.db, tenant.id, 'ON_TASK_CREATE')
    expect(first.map((trigger) => trigger.id)).toEqual([triggerId])
    expect(second[0]!.conditions.test).toBe(first[0]!.conditions.test)

    await tenant.patch(`/api/bom-triggers/${triggerId}`, {
      conditions: { all: [{ path: 'task.type', operator: 'eq', value: 'FIBER' }] },
    })
    const changed = await catalog.activeFor(db.db, tenant.id, 'ON_TASK_CREATE')
    expect(changed[0]!.conditions.test).not.toBe(first[0]!.conditions.test)
    const fiber = {
      event: 'ON_TASK_CREATE' as const,
      depth: 0,
      task: { id: 'x', title: 'x', type: 'FIBER', status: 'PENDING' as const },
    }
    expect(changed[0]!.conditions.test(fiber)).toBe(true)
    expect(first[0]!.conditions.test(fiber)).toBe(false)

    await tenant.post(`/api/bom-triggers/${triggerId}/deactivate`)
    expect(await catalog.activeFor(db.db, tenant.id, 'ON_TASK_CREATE')).toEqual([])
  })
})
