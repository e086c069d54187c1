import { randomUUID } from 'node:crypto'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { TestDb } from '@gatehouse/db-kit/testing'
import { parse } from 'csv-parse/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXPORT_COLUMNS } from '../src/export-rows.ts'
import { newTenant, submitTenantEvents, tenantEvent, tenantGet } from './factories.ts'
import { asTenant, closeTestApp, openTestDb, startTestApp, type TestApp } from './fixtures.ts'

let db: TestDb
let t: TestApp
beforeAll(async () => {
  db = await openTestDb()
  t = await startTestApp(db, { env: { EXPORT_CONCURRENCY: '1' } })
})
afterAll(() => closeTestApp(t, db))

const MARCH = 'from=2030-03-01T00:00:00Z&to=2030-04-01T00:00:00Z'

function rowsOf(csv: string): Record<string, string>[] {
  return parse(csv, { columns: true, skip_empty_lines: true })
}

describe('GET /api/usage/export.csv', () => {
  const tenant = newTenant()
  const keyId = randomUUID()
  // 2,500 events: more than two pages of 1,000, with many sharing an instant, so page boundaries fall inside ties.
  const bulk = Array.from({ length: 2500 }, (_, i) =>
    tenantEvent({ occurredAt: new Date(Date.UTC(2030, 2, 1 + (i % 10), 8, i % 7)).toISOString() }),
  )
  const tricky = tenantEvent({
    metric: 'emails.sent',
    quantity: '2.25',
    occurredAt: '2030-03-12T09:00:00.000Z',
    properties: { note: 'a,"quoted"\nsecond line', list: [1, 2] },
  })

  beforeAll(async () => {
    for (let i = 0; i < bulk.length; i += 1000) {
      await submitTenantEvents(t.app, tenant, bulk.slice(i, i + 1000), { keyId })
    }
    await submitTenantEvents(t.app, tenant, [tricky], { keyId })
    const voided = await t.app.inject({
      method: 'POST',
      url: `/api/usage/events/${tricky.idempotencyKey}/void`,
      headers: await asTenant(tenant, { keyId }),
      payload: { reason: '=HYPERLINK("http://evil")' },
    })
    expect(voided.statusCode).toBe(201)
    await submitTenantEvents(t.app, newTenant(), [tenantEvent({ occurredAt: '2030-03-05T00:00:00.000Z' })])
  })

  it("streams the period's events in time order, voids as negative rows linked to what they void", async () => {
    const response = await tenantGet(t.app, tenant, `/api/usage/export.csv?${MARCH}`)
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8')
    expect(response.headers['content-disposition']).toBe(
      'attachment; filename="usage-20300301T000000Z-20300401T000000Z.csv"',
    )
    expect(response.body.split('\r\n')[0]).toBe(EXPORT_COLUMNS.join(','))
    const rows = rowsOf(response.body)
    expect(rows).toHaveLength(2502)
    expect(new Set(rows.map((row) => row.event_id)).size).toBe(2502)
    const order = rows.map((row) => `${row.occurred_at} ${row.event_id}`)
    expect([...order].sort()).toEqual(order)
    expect(new Set(rows.map((row) => row.idempotency_key))).toEqual(
      new Set(
        [...bulk, tricky]
          .map((event) => event.idempotencyKey)
          .concat(rows.filter((r) => r.voids_event_id).map((r) => r.idempotency_key)),
      ),
    )

    const original = rows.find((row) => row.idempotency_key === tricky.idempotencyKey)!
    const compensating = rows.find((row) => row.voids_event_id === original.event_id)!
    expect(original).toMatchObject({
      metric: 'emails.sent',
      quantity: '2.25',
      key_id: keyId,
      source: 'tenant',
    })
    expect(JSON.parse(original.properties!)).toEqual(tricky.properties)
    expect(compensating).toMatchObject({
      quantity: '-2.25',
      occurred_at: '2030-03-12T09:00:00.000000Z',
      voided_by: `key:${keyId}`,
      // A spreadsheet would run it as a formula: prefixed.
      void_reason: `'=HYPERLINK("http://evil")`,
    })
    const net = rows
      .filter((row) => row.metric === 'emails.sent')
      .reduce((sum, row) => sum + Number(row.quantity), 0)
    expect(net).toBe(0)
  })

  it('filters by metric and keeps `to` exclusive', async () => {
    const mails = rowsOf(
      (await tenantGet(t.app, tenant, `/api/usage/export.csv?${MARCH}&metric=emails.sent`)).body,
    )
    expect(mails.map((row) => row.quantity).sort()).toEqual(['-2.25', '2.25'])
    const firstDay = rowsOf(
      (
        await tenantGet(
          t.app,
          tenant,
          '/api/usage/export.csv?from=2030-03-01T00:00:00Z&to=2030-03-02T08:00:00Z',
        )
      ).body,
    )
    expect(firstDay).toHaveLength(250)
    const none = await tenantGet(t.app, newTenant(), `/api/usage/export.csv?${MARCH}`)
    expect(none.body).toBe(`${EXPORT_COLUMNS.join(',')}\r\n`)
  })

  it('refuses bad periods with 400 problem+json', async () => {
    for (const query of [
      'from=2030-03-02T00:00:00Z&to=2030-03-01T00:00:00Z',
      'from=2028-01-01T00:00:00Z&to=2030-03-01T00:00:00Z',
      'to=2030-03-01T00:00:00Z',
      'from=march&to=april',
    ]) {
      const response = await tenantGet(t.app, tenant, `/api/usage/export.csv?${query}`)
      expect(response.statusCode).toBe(400)
      expect(response.headers['content-type']).toContain('application/problem+json')
    }
    expect((await t.app.inject({ method: 'GET', url: `/api/usage/export.csv?${MARCH}` })).statusCode).toBe(
      401,
    )
  })
})

describe.runIf(process.env.TEST_DATABASE_URL)('a 200,000-event export on PostgreSQL', () => {
  const tenant = newTenant()
  const ROWS = 200_000
  let url: string

  beforeAll(async () => {
    // Written directly: the export reads usage_events only, and this is about the read side.
    await db.raw.query(
      `insert into usage_events (tenant_id, metric, quantity, occurred_at, received_at, idempotency_key, source, properties)
       select $1, 'storage.gb_hours', (i % 97)::numeric / 8, timestamptz '2030-03-01' + i * interval '10 seconds',
         now(), 'bulk-' || i, 'tenant', jsonb_build_object('blob', repeat('x', 400), 'i', i)
       from generate_series(1, $2::int) as i`,
      [tenant, ROWS],
    )
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = t.app.server.address() as { port: number }
    url = `http://127.0.0.1:${port}/api/usage/export.csv?${MARCH}`
  }, 120_000)

  it('streams every row while the process holds a small fraction of the file in memory', async () => {
    // What the process holds, not the garbage it has yet to collect: measured right after a full collection.
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const retained = () => {
      gc()
      const usage = process.memoryUsage()
      return usage.heapUsed + usage.arrayBuffers
    }
    const baseline = retained()
    let peak = 0
    let bytes = 0
    let lines = 0
    let sinceSample = 0
    const response = await fetch(url, { headers: await asTenant(tenant) })
    expect(response.status).toBe(200)
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.byteLength
      sinceSample += chunk.byteLength
      for (const byte of chunk) if (byte === 10) lines += 1
      if (sinceSample > 4 * 1024 * 1024) {
        sinceSample = 0
        peak = Math.max(peak, retained() - baseline)
      }
    }
    expect(lines).toBe(ROWS + 1)
    // The file is about 100 MB; a server that gathered the rows first would hold more than all of it.
    expect(bytes).toBeGreaterThan(90 * 1024 * 1024)
    expect(peak).toBeLessThan(16 * 1024 * 1024)
  }, 120_000)

  it('gives back its slot and its connection when the client goes away, and answers 503 while busy', async () => {
    const headers = await asTenant(tenant)
    const controller = new AbortController()
    const first = await fetch(url, { headers, signal: controller.signal })
    const reader = (first.body as ReadableStream<Uint8Array>).getReader()
    await reader.read()
    const busy = await fetch(url, { headers })
    expect(busy.status).toBe(503)
    expect(((await busy.json()) as { code: string }).code).toBe('METERING_EXPORT_BUSY')
    expect(busy.headers.get('retry-after')).toBe('5')
    controller.abort()
    await reader.cancel().catch(() => undefined)
    let next: Response | undefined
    for (let attempt = 0; attempt < 50; attempt++) {
      next = await fetch(url.replace(/from=[^&]+/, 'from=2030-03-23T00:00:00Z'), { headers })
      if (next.status === 200) break
      await next.arrayBuffer()
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(next?.status).toBe(200)
    expect((await next!.text()).split('\n').length).toBeGreaterThan(1000)
  }, 120_000)
})
