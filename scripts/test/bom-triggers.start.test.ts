import { describe, expect, it } from 'vitest'
import { WebhookReceiver } from '../../services/bom-triggers/test/webhook-receiver.ts'
import { call, startPlatform, userWithTenantKey } from './platform.ts'

async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms)
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

describe('bom-triggers across the platform (pnpm start, every service its own process)', () => {
  it('through the gateway: a LAN task gets the UTP cable, adding material recalculates the cost, completing delivers a signed webhook', async () => {
    const receiver = await WebhookReceiver.start()
    // The receiver listens on loopback, which bom-triggers refuses unless told otherwise; and this story is not
    // about load shedding, which a busy test machine would otherwise trip.
    const platform = await startPlatform({
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '0',
    })
    const { gateway } = platform
    try {
      const { key } = await userWithTenantKey(gateway)
      const headers = { 'x-api-key': key }

      // The seed's first trigger, working for this brand-new tenant without any setup.
      const created = await call(gateway, 'POST', '/api/tasks', {
        body: { title: 'Office LAN', type: 'LAN' },
        headers,
      })
      expect(created.status).toBe(201)
      expect(created.body.materials).toEqual([
        expect.objectContaining({ sku: 'UTP-CAT6', quantity: '50.0000', unitCost: '0.4500' }),
      ])
      expect(created.body.cost).toMatchObject({ total: '22.5000', itemCount: 1 })
      const taskId = created.body.id as string

      // The seed's third: adding material recalculates the cost.
      const jack = await call(gateway, 'POST', '/api/materials', {
        body: { sku: 'RJ45-KEYSTONE', name: 'RJ45 keystone jack', unit: 'pcs', unitCost: '3.15' },
        headers,
      })
      expect(jack.status).toBe(201)
      const added = await call(gateway, 'POST', `/api/tasks/${taskId}/materials`, {
        body: { materialId: jack.body.id, quantity: '12' },
        headers,
      })
      expect(added.status).toBe(201)
      expect(added.body.cost).toMatchObject({ materialsTotal: '60.3000', itemCount: 2, stale: false })

      // The seed's second: point its webhook at our receiver, complete the task, verify what arrives.
      const notify = await call(gateway, 'GET', '/api/bom-triggers?actionType=NOTIFY', { headers })
      const triggerId = notify.body.items[0].id as string
      const configured = await call(gateway, 'PATCH', `/api/bom-triggers/${triggerId}`, {
        body: { actionConfig: { url: receiver.url, includeBom: true } },
        headers,
      })
      expect(configured.status).toBe(200)
      const secret = (
        await call(gateway, 'GET', `/api/bom-triggers/${triggerId}/webhook-secret`, { headers })
      ).body.secret as string
      const completed = await call(gateway, 'POST', `/api/tasks/${taskId}/complete`, { headers })
      expect(completed.status).toBe(200)
      await within(15_000, 'webhook delivery', receiver.waitFor(1))
      const payload = WebhookReceiver.verify(secret, receiver.received[0]!)
      expect(payload).toMatchObject({
        type: 'task.completed',
        data: { task: { id: taskId, status: 'COMPLETED' }, cost: { total: '60.3000' } },
      })
      const deliveries = await call(gateway, 'GET', `/api/bom-triggers/deliveries?triggerId=${triggerId}`, {
        headers,
      })
      expect(deliveries.body.items).toEqual([
        expect.objectContaining({
          id: receiver.received[0]!.headers['webhook-id'],
          status: 'delivered',
          attempts: 1,
        }),
      ])

      const logs = await call(gateway, 'GET', `/api/bom-triggers/logs?taskId=${taskId}`, { headers })
      expect(logs.body.items.map((log: { triggerName: string }) => log.triggerName)).toEqual([
        'Notify on task completion',
        'Calculate costs on material add',
        'Calculate costs on material add',
        'Auto-add UTP cable to LAN tasks',
      ])
      // Another tenant sees none of it.
      const other = await userWithTenantKey(gateway)
      const foreign = await call(gateway, 'GET', `/api/tasks/${taskId}`, {
        headers: { 'x-api-key': other.key },
      })
      expect(foreign.status).toBe(404)
    } finally {
      await platform.stop()
      await receiver.close()
    }
  }, 180_000)
})
