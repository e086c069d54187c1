import { randomUUID } from 'node:crypto'
import type { TestDb } from '@gatehouse/db-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  gatewayEvent,
  newTenant,
  postGatewayEvents,
  submitTenantEvents,
  tenantEvent,
  tenantGet,
} from './factories.ts'
import { closeTestApp, openTestDb, startTestApp, type TestApp } from './fixtures.ts'

let db: TestDb
let t: TestApp
const tenant = newTenant()
const keyId = randomUUID()
const at = (day: number, hour: number) =>
  `2030-03-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00.000Z`

beforeAll(async () => {
  db = await openTestDb()
  t = await startTestApp(db)
  await submitTenantEvents(
    t.app,
    tenant,
    [
      ...[1, 2, 3, 4, 5].map((day) => tenantEvent({ idempotencyKey: `s-${day}`, occurredAt: at(day, 9) })),
      // Two at the same instant: the id breaks the tie, and pages neither repeat nor skip one.
      tenantEvent({ idempotencyKey: 'tie-a', occurredAt: at(6, 9) }),
      tenantEvent({ idempotencyKey: 'tie-b', occurredAt: at(6, 9) }),
      tenantEvent({ idempotencyKey: 'mail', metric: 'emails.sent', occurredAt: at(7, 9) }),
    ],
    { keyId },
  )
  await postGatewayEvents(t.app, [gatewayEvent(tenant, { idempotencyKey: 'gw-1', occurredAt: at(8, 9) })])
  await submitTenantEvents(t.app, newTenant(), [tenantEvent({ occurredAt: at(9, 9) })])
})
afterAll(() => closeTestApp(t, db))

async function page(query: string) {
  const response = await tenantGet(t.app, tenant, `/api/usage/events?${query}`)
  return response
}

describe('GET /api/usage/events', () => {
  it("walks the tenant's events newest first, page by page, without a repeat or a gap", async () => {
    const seen: { idempotencyKey: string; occurredAt: string }[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const response = await page(`limit=3${cursor ? `&cursor=${cursor}` : ''}`)
      expect(response.statusCode).toBe(200)
      const body = response.json()
      seen.push(...body.events)
      cursor = body.nextCursor
      pages += 1
    } while (cursor)
    expect(pages).toBe(3)
    const keys = seen.map((event) => event.idempotencyKey)
    expect(keys).toHaveLength(9)
    expect(new Set(keys).size).toBe(9)
    expect(keys.slice(0, 2)).toEqual(['gw-1', 'mail'])
    expect(keys.slice(2, 4).sort()).toEqual(['tie-a', 'tie-b'])
    expect(keys.slice(4)).toEqual(['s-5', 's-4', 's-3', 's-2', 's-1'])
    const times = seen.map((event) => event.occurredAt)
    expect([...times].sort().reverse()).toEqual(times)
  })

  it('filters by metric, source, key and period', async () => {
    const keysOf = async (query: string) =>
      (await page(query)).json().events.map((event: { idempotencyKey: string }) => event.idempotencyKey)
    expect(await keysOf('metric=emails.sent')).toEqual(['mail'])
    expect(await keysOf('source=gateway')).toEqual(['gw-1'])
    expect(await keysOf(`keyId=${keyId}&from=${at(5, 0)}&to=${at(7, 0)}`)).toEqual(
      expect.arrayContaining(['tie-a', 'tie-b', 's-5']),
    )
    expect(await keysOf(`keyId=${randomUUID()}`)).toEqual([])
  })

  it('shows the event as stored', async () => {
    const [event] = (await page('metric=emails.sent')).json().events
    expect(event).toEqual({
      id: expect.any(String),
      metric: 'emails.sent',
      quantity: '1',
      occurredAt: at(7, 9),
      receivedAt: '2030-03-15T12:00:00.000Z',
      idempotencyKey: 'mail',
      source: 'tenant',
      keyId,
      properties: {},
      voidsEventId: null,
      voidedBy: null,
      voidReason: null,
      voided: false,
    })
  })

  it('refuses a cursor it did not hand out', async () => {
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
    for (const cursor of [
      'garbage!',
      forged({ at: 1 }),
      forged(['2030-13-01T00:00:00.000000Z', randomUUID()]),
      forged(['2030-02-30T00:00:00.000000Z', randomUUID()]),
      forged(['2030-03-01T00:00:00.000000Z', 'not-a-uuid']),
    ]) {
      const response = await page(`cursor=${encodeURIComponent(cursor)}`)
      expect(response.statusCode).toBe(400)
      expect(response.json().code).toBe('METERING_CURSOR_INVALID')
    }
    expect((await page('limit=201')).statusCode).toBe(400)
  })
})
