import type { TestDb } from '@gatehouse/db-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newTenant, tenantGet } from './factories.ts'
import { asGateway, asTenant, closeTestApp, openTestDb, startTestApp, type TestApp } from './fixtures.ts'

let db: TestDb
let t: TestApp
beforeAll(async () => {
  db = await openTestDb()
  t = await startTestApp(db)
})
afterAll(() => closeTestApp(t, db))

const MARCH = '2030-03-01T00:00:00.000Z'
const APRIL = '2030-04-01T00:00:00.000Z'

function alert(tenantId: string, overrides: Record<string, unknown> = {}) {
  return {
    tenantId,
    periodStart: MARCH,
    thresholdPercent: 80,
    quota: '100000',
    used: '80000',
    crossedAt: '2030-03-10T08:00:00.000Z',
    ...overrides,
  }
}

async function postAlerts(alerts: unknown[], headers?: Record<string, string>) {
  return t.app.inject({
    method: 'POST',
    url: '/internal/usage/alerts',
    headers: headers ?? (await asGateway()),
    payload: { alerts },
  })
}

async function rowsOf(tenantId: string) {
  return db.raw.query<{ threshold_percent: number; period_start: Date }>(
    'select threshold_percent, period_start from usage_alerts where tenant_id = $1 order by crossed_at',
    [tenantId],
  )
}

describe('POST /internal/usage/alerts', () => {
  it('records each threshold once per tenant, metric and period, and says which were new', async () => {
    const [a, b] = [newTenant(), newTenant()]
    const first = await postAlerts([alert(a), alert(a, { thresholdPercent: 100, used: '100000' }), alert(b)])
    expect(first.statusCode).toBe(200)
    expect(first.json()).toEqual({
      created: 3,
      alerts: [{ created: true }, { created: true }, { created: true }],
    })

    // A retry, the same crossing seen by another replica, or twice in one batch: nothing new.
    const again = await postAlerts([
      alert(a, { used: '80007' }),
      alert(a),
      alert(b, { metric: 'api.request' }),
    ])
    expect(again.json()).toEqual({
      created: 0,
      alerts: [{ created: false }, { created: false }, { created: false }],
    })
    // Another period or another metric is another alert.
    const next = await postAlerts([
      alert(a, { periodStart: APRIL }),
      alert(a, { metric: 'storage.gb_hours' }),
      alert(a, { periodStart: APRIL }),
    ])
    expect(next.json()).toEqual({
      created: 2,
      alerts: [{ created: true }, { created: true }, { created: false }],
    })
    expect(await rowsOf(a)).toHaveLength(4)
  })

  it('keeps a crossing once under concurrent posts from several replicas', async () => {
    const tenantId = newTenant()
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => postAlerts([alert(tenantId, { used: String(80000 + i) })])),
    )
    const created = answers.map((answer) => answer.json().alerts[0].created)
    expect(created.filter(Boolean)).toHaveLength(1)
    expect(await rowsOf(tenantId)).toHaveLength(1)
  })

  it('takes only the gateway service token', async () => {
    for (const headers of [{}, await asGateway('qr-auth'), await asTenant(newTenant())]) {
      const response = await postAlerts([alert(newTenant())], headers)
      expect(response.statusCode).toBe(401)
      expect(response.json().code).toBe('METERING_INTERNAL_AUTH_REQUIRED')
    }
  })

  it('refuses bad alerts with 400 problem+json, storing nothing', async () => {
    const tenantId = newTenant()
    const bad: [Record<string, unknown>, string][] = [
      [{ thresholdPercent: 0 }, 'METERING_VALIDATION_FAILED'],
      [{ thresholdPercent: 101 }, 'METERING_VALIDATION_FAILED'],
      [{ thresholdPercent: 'x' }, 'METERING_VALIDATION_FAILED'],
      [{ tenantId: 'not-a-uuid' }, 'METERING_VALIDATION_FAILED'],
      [{ quota: '-1' }, 'METERING_VALIDATION_FAILED'],
      [{ used: '1e3' }, 'METERING_VALIDATION_FAILED'],
      [{ periodStart: 'march' }, 'METERING_VALIDATION_FAILED'],
      [{ periodStart: '2030-03-02T00:00:00.000Z' }, 'METERING_PERIOD_INVALID'],
      [{ metric: 'Not A Metric' }, 'METERING_VALIDATION_FAILED'],
    ]
    for (const [overrides, code] of bad) {
      const response = await postAlerts([alert(tenantId, overrides)])
      expect(response.statusCode, JSON.stringify(overrides)).toBe(400)
      expect(response.headers['content-type']).toContain('application/problem+json')
      expect(response.json().code, JSON.stringify(overrides)).toBe(code)
    }
    expect((await postAlerts([])).statusCode).toBe(400)
    expect(await rowsOf(tenantId)).toHaveLength(0)
  })
})

describe('GET /api/usage/alerts', () => {
  it("lists only the caller's alerts, newest first, filtered by period, metric and crossing time", async () => {
    const [mine, theirs] = [newTenant(), newTenant()]
    await postAlerts([
      alert(mine, { crossedAt: '2030-03-10T08:00:00.000Z' }),
      alert(mine, { thresholdPercent: 100, used: '100000', crossedAt: '2030-03-20T08:00:00.000Z' }),
      alert(mine, { periodStart: APRIL, crossedAt: '2030-04-05T08:00:00.000Z' }),
      alert(theirs),
    ])
    const all = await tenantGet(t.app, mine, '/api/usage/alerts')
    expect(all.statusCode).toBe(200)
    expect(all.json().alerts).toEqual([
      {
        id: expect.any(String),
        metric: 'api.request',
        periodStart: APRIL,
        thresholdPercent: 80,
        quota: '100000',
        used: '80000',
        crossedAt: '2030-04-05T08:00:00.000Z',
      },
      expect.objectContaining({ periodStart: MARCH, thresholdPercent: 100, used: '100000' }),
      expect.objectContaining({ periodStart: MARCH, thresholdPercent: 80 }),
    ])
    const march = await tenantGet(t.app, mine, '/api/usage/alerts?period=2030-03')
    expect(march.json().alerts.map((a: { thresholdPercent: number }) => a.thresholdPercent)).toEqual([
      100, 80,
    ])
    const window = await tenantGet(
      t.app,
      mine,
      '/api/usage/alerts?from=2030-03-15T00:00:00Z&to=2030-04-01T00:00:00Z',
    )
    expect(window.json().alerts).toEqual([expect.objectContaining({ thresholdPercent: 100 })])
    expect((await tenantGet(t.app, mine, '/api/usage/alerts?metric=storage.gb_hours')).json()).toEqual({
      alerts: [],
    })
    expect((await tenantGet(t.app, mine, '/api/usage/alerts?limit=1')).json().alerts).toHaveLength(1)
    expect((await tenantGet(t.app, theirs, '/api/usage/alerts')).json().alerts).toHaveLength(1)
  })

  it('needs the caller context and refuses junk queries with 400 problem+json', async () => {
    const anonymous = await t.app.inject({ method: 'GET', url: '/api/usage/alerts' })
    expect(anonymous.statusCode).toBe(401)
    expect(anonymous.json().code).toBe('METERING_CALLER_REQUIRED')
    const tenantId = newTenant()
    for (const query of [
      'period=2030-13',
      'period=March',
      'from=soon',
      'limit=0',
      'limit=501',
      'metric=A B',
    ]) {
      const response = await tenantGet(t.app, tenantId, `/api/usage/alerts?${encodeURI(query)}`)
      expect(response.statusCode, query).toBe(400)
      expect(response.headers['content-type']).toContain('application/problem+json')
      expect(response.json().code, query).toBe('METERING_VALIDATION_FAILED')
    }
    const backwards = await tenantGet(
      t.app,
      tenantId,
      '/api/usage/alerts?from=2030-03-02T00:00:00Z&to=2030-03-01T00:00:00Z',
    )
    expect(backwards.statusCode).toBe(400)
    expect(backwards.json().code).toBe('METERING_RANGE_INVALID')
  })
})
