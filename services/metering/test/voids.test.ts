import { randomUUID } from 'node:crypto'
import type { TestDb } from '@gatehouse/db-kit/testing'
import type { ServiceInstance } from '@gatehouse/service-kit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  gatewayEvent,
  newTenant,
  postGatewayEvents,
  submitTenantEvents,
  tenantEvent,
  tenantGet,
} from './factories.ts'
import { asTenant, closeTestApp, openTestDb, startTestApp, type TestApp } from './fixtures.ts'

let db: TestDb
let t: TestApp
beforeAll(async () => {
  db = await openTestDb()
  t = await startTestApp(db)
})
afterAll(() => closeTestApp(t, db))

const DAY = 24 * 3600 * 1000

async function voidKey(
  app: ServiceInstance,
  tenantId: string,
  key: string,
  reason: unknown = 'double-charged',
  who: { keyId?: string; userId?: string } = {},
) {
  return app.inject({
    method: 'POST',
    url: `/api/usage/events/${encodeURIComponent(key)}/void`,
    headers: await asTenant(tenantId, who),
    payload: { reason },
  })
}

async function rollupOf(tenantId: string) {
  return db.raw.query<{ quantity: string; event_count: number }>(
    'select quantity::text as quantity, event_count::int as event_count from usage_rollups_hourly where tenant_id = $1',
    [tenantId],
  )
}

describe('POST /api/usage/events/:idempotencyKey/void', () => {
  it('records a compensating event with who and why; summaries net it out, the raw history keeps both', async () => {
    const tenant = newTenant()
    const keyId = randomUUID()
    const userId = `user-${randomUUID()}`
    const key = `invoice/42?line=${randomUUID()}`
    await submitTenantEvents(t.app, tenant, [tenantEvent({ idempotencyKey: key, quantity: '12.5' })], {
      keyId,
    })
    const response = await voidKey(t.app, tenant, key, 'entered twice', { userId })
    expect(response.statusCode).toBe(201)
    const { voided, void: compensating } = response.json()
    expect(voided).toMatchObject({ idempotencyKey: key, quantity: '12.5', voided: true, keyId })
    expect(compensating).toMatchObject({
      quantity: '-12.5',
      metric: voided.metric,
      occurredAt: voided.occurredAt,
      keyId,
      voidsEventId: voided.id,
      voidedBy: `user:${userId}`,
      voidReason: 'entered twice',
      source: 'tenant',
      voided: false,
    })
    expect(await rollupOf(tenant)).toEqual([{ quantity: '0.0', event_count: 0 }])
    const listed = await tenantGet(t.app, tenant, '/api/usage/events')
    expect(
      listed.json().events.map((e: { quantity: string; voided: boolean }) => [e.quantity, e.voided]),
    ).toEqual(
      expect.arrayContaining([
        ['12.5', true],
        ['-12.5', false],
      ]),
    )
    const [raw] = await db.raw.query<{ n: number }>(
      'select count(*)::int as n from usage_events where tenant_id = $1',
      [tenant],
    )
    expect(raw!.n).toBe(2)
  })

  it('is a no-op the second time: the same void, nothing counted again', async () => {
    const tenant = newTenant()
    const event = tenantEvent({ quantity: '3' })
    await submitTenantEvents(t.app, tenant, [event])
    const first = await voidKey(t.app, tenant, event.idempotencyKey as string, 'first', {
      keyId: randomUUID(),
    })
    const second = await voidKey(t.app, tenant, event.idempotencyKey as string, 'second')
    expect([first.statusCode, second.statusCode]).toEqual([201, 200])
    expect(second.json().void.id).toBe(first.json().void.id)
    expect(second.json().void.voidReason).toBe('first')
    expect(await rollupOf(tenant)).toEqual([{ quantity: '0', event_count: 0 }])
  })

  it("refuses to void the gateway's own events, a void, another tenant's event or an unknown key", async () => {
    const tenant = newTenant()
    const gatewayKey = randomUUID()
    await postGatewayEvents(t.app, [
      gatewayEvent(tenant, { idempotencyKey: gatewayKey, occurredAt: t.clock().toISOString() }),
    ])
    const gateway = await voidKey(t.app, tenant, gatewayKey)
    expect(gateway.statusCode).toBe(403)
    expect(gateway.json().code).toBe('METERING_VOID_NOT_ALLOWED')

    const event = tenantEvent()
    await submitTenantEvents(t.app, tenant, [event])
    const done = await voidKey(t.app, tenant, event.idempotencyKey as string)
    const ofVoid = await voidKey(t.app, tenant, `void:${done.json().void.voidsEventId}`)
    expect(ofVoid.statusCode).toBe(403)

    const other = await voidKey(t.app, newTenant(), event.idempotencyKey as string)
    expect(other.statusCode).toBe(404)
    expect(other.json().code).toBe('METERING_EVENT_NOT_FOUND')
    expect((await voidKey(t.app, tenant, 'never-sent')).statusCode).toBe(404)
  })

  it('closes 35 days after the event occurred', async () => {
    const tenant = newTenant()
    const occurredAt = new Date(t.clock().getTime() - DAY)
    const [early, late] = [
      tenantEvent({ occurredAt: occurredAt.toISOString() }),
      tenantEvent({ occurredAt: occurredAt.toISOString() }),
    ]
    await submitTenantEvents(t.app, tenant, [early, late])
    t.clock.advance(34 * DAY)
    try {
      expect((await voidKey(t.app, tenant, early.idempotencyKey as string)).statusCode).toBe(201)
      t.clock.advance(1)
      const closed = await voidKey(t.app, tenant, late.idempotencyKey as string)
      expect(closed.statusCode).toBe(409)
      expect(closed.json().code).toBe('METERING_VOID_WINDOW_CLOSED')
    } finally {
      t.clock.advance(-34 * DAY - 1)
    }
  })

  it('needs a reason of reasonable size', async () => {
    const tenant = newTenant()
    const event = tenantEvent()
    await submitTenantEvents(t.app, tenant, [event])
    for (const reason of ['', 'x'.repeat(501), 'bell \u0007', null]) {
      const response = await voidKey(t.app, tenant, event.idempotencyKey as string, reason)
      expect(response.statusCode).toBe(400)
    }
    expect(await rollupOf(tenant)).toEqual([{ quantity: '1', event_count: 1 }])
  })
})
