import type { TestDb } from '@gatehouse/db-kit/testing'
import { openPoolConnections } from '@gatehouse/db-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeMaterial, makeTask } from './factories.ts'
import { closeTestApp, openTestApp, Tenant, type TestApp } from './fixtures.ts'

let db: TestDb
let t: TestApp
beforeAll(async () => {
  ;({ db, t } = await openTestApp())
})
afterAll(async () => closeTestApp(t, db))

describe.runIf(process.env.TEST_DATABASE_URL)('concurrent operations on one task (PostgreSQL)', () => {
  it('lines added at the same time all count in the stored cost', async () => {
    const tenant = new Tenant(t.app)
    const task = await makeTask(tenant, { type: 'LAN' })
    const items = []
    for (let i = 0; i < 6; i++)
      items.push(await makeMaterial(tenant, { sku: `PAR-${i}`, unitCost: '1.1000' }))
    await openPoolConnections(db, 6)
    const answers = await Promise.all(
      items.map((item) =>
        tenant.post(`/api/tasks/${task.id}/materials`, { materialId: item.id, quantity: '2' }),
      ),
    )
    expect(answers.map((answer) => answer.status)).toEqual(Array(6).fill(201))
    const final = await tenant.get(`/api/tasks/${task.id}`)
    // 50 * 0.45 + 6 * 2 * 1.1; without the task lock, a cost computed beside another insert misses that line.
    expect(final.body.cost).toMatchObject({ materialsTotal: '35.7000', itemCount: 7, stale: false })
  })

  it('two completes at once raise ON_TASK_COMPLETE once', async () => {
    const tenant = new Tenant(t.app)
    const task = await makeTask(tenant)
    await openPoolConnections(db, 4)
    const answers = await Promise.all([1, 2, 3, 4].map(() => tenant.post(`/api/tasks/${task.id}/complete`)))
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200])
    const runs = answers.flatMap((answer) => answer.body.triggerRuns)
    expect(runs).toEqual([expect.objectContaining({ name: 'Notify on task completion' })])
    const logs = await tenant.get(`/api/bom-triggers/logs?taskId=${task.id}`)
    expect(logs.body.items).toHaveLength(1)
  })
})
