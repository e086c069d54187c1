import { afterEach, describe, expect, it } from 'vitest'
import type { ServiceInstance } from '../src/create-service.ts'
import { tooManyRequests } from '../src/too-many-requests.ts'
import { widgetsService } from './fixtures/widgets-service.ts'

const apps: ServiceInstance[] = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

function build(options: Parameters<typeof widgetsService>[0] = {}): ServiceInstance {
  const app = widgetsService(options)
  apps.push(app)
  return app
}

async function scrape(app: ServiceInstance, headers: Record<string, string> = {}): Promise<string> {
  const response = await app.inject({ url: '/metrics', headers })
  expect(response.statusCode).toBe(200)
  expect(response.headers['content-type']).toContain('text/plain')
  return response.body
}

/** Sample lines (not comments) of the exposition. */
const series = (text: string) => text.split('\n').filter((line) => line && !line.startsWith('#'))

describe('GET /metrics', () => {
  it('counts requests and their duration by route pattern, method and status, with process metrics', async () => {
    const app = build()
    const id = crypto.randomUUID()
    await app.inject(`/api/tasks/widgets/${id}`)
    await app.inject(`/api/tasks/widgets/${id}`)
    await app.inject({ method: 'POST', url: '/api/tasks/widgets', payload: { name: 'a' } })
    const text = await scrape(app)
    expect(text).toContain(
      'http_requests_total{method="GET",route="/api/tasks/widgets/:id",status="404",service="bom-triggers"} 2',
    )
    expect(text).toContain(
      'http_requests_total{method="POST",route="/api/tasks/widgets",status="201",service="bom-triggers"} 1',
    )
    const labels = 'method="GET",route="/api/tasks/widgets/:id",status="404"'
    expect(text).toContain(`http_request_duration_seconds_count{${labels},service="bom-triggers"} 2`)
    expect(text).toContain(
      `http_request_duration_seconds_bucket{${labels},le="+Inf",service="bom-triggers"} 2`,
    )
    expect(text).toMatch(
      /http_request_duration_seconds_bucket\{method="GET",route="\/api\/tasks\/widgets\/:id",status="404",le="0\.001",service="bom-triggers"\} [0-2]\n/,
    )
    expect(text).not.toContain(id)
    expect(text).toContain(
      'gatehouse_problems_total{code="BOM_TRIGGERS_WIDGET_NOT_FOUND",route="/api/tasks/widgets/:id"',
    )
    for (const name of [
      'process_cpu_user_seconds_total',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(text).toContain(name)
    }
  })

  it('keeps the number of series bounded: 1,000 unknown paths and ids add none after the first', async () => {
    const app = build()
    const warmUp = async (n: number) => {
      await app.inject(`/no/such/path/${n}`)
      await app.inject(`/api/tasks/widgets/${crypto.randomUUID()}`)
      await app.inject(`/api/tasks/widgets/not-a-uuid-${n}`)
    }
    await warmUp(0)
    const before = series(await scrape(app)).filter(
      (line) => !line.startsWith('process_') && !line.startsWith('nodejs_'),
    )
    for (let n = 1; n <= 1000; n++) await warmUp(n)
    const after = series(await scrape(app)).filter(
      (line) => !line.startsWith('process_') && !line.startsWith('nodejs_'),
    )
    const names = (lines: string[]) => lines.map((line) => line.replace(/ [0-9.e+-]+$/, '')).sort()
    // The first scrape itself is one more /metrics request: its series appear once, then only counts grow.
    expect(names(after).filter((name) => !name.includes('route="/metrics"'))).toEqual(
      names(before).filter((name) => !name.includes('route="/metrics"')),
    )
    expect(await scrape(app)).toContain(
      'http_requests_total{method="GET",route="(unmatched)",status="404",service="bom-triggers"} 1001',
    )
  })

  it('gives each app its own registry, so two services in one process never clash', async () => {
    const first = build()
    const second = build()
    await first.inject('/api/tasks/widgets/mine')
    expect(await scrape(first)).toContain('route="/api/tasks/widgets/mine"')
    expect(await scrape(second)).not.toContain('route="/api/tasks/widgets/mine"')
  })

  it('lets the service register its own counters', async () => {
    const app = build()
    const verifications = app.metrics.counter('demo_key_verifications_total', 'Key checks by result.', [
      'result',
    ])
    verifications.inc({ result: 'VALID' })
    expect(app.metrics.counter('demo_key_verifications_total', 'again')).toBe(verifications)
    expect(await scrape(app)).toContain(
      'demo_key_verifications_total{result="VALID",service="bom-triggers"} 1',
    )
  })

  it('counts 429s by rate-limit policy', async () => {
    const app = build()
    app.get('/api/tasks/limited', async () => {
      throw tooManyRequests({ policy: 'tenant', limit: 1, remaining: 0, resetSeconds: 3, windowSeconds: 60 })
    })
    await app.inject('/api/tasks/limited')
    expect(await scrape(app)).toContain(
      'gatehouse_rate_limited_total{policy="tenant",service="bom-triggers"} 1',
    )
  })

  it('requires the bearer METRICS_TOKEN when one is set', async () => {
    const app = build({ platform: { metricsToken: 'metrics-token-0123456789' } })
    const refused = await app.inject('/metrics')
    expect(refused.statusCode).toBe(401)
    expect(refused.headers['www-authenticate']).toContain('Bearer')
    expect(refused.json().code).toBe('BOM_TRIGGERS_METRICS_TOKEN_REQUIRED')
    expect(
      (await app.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong-token-0123456789' } }))
        .statusCode,
    ).toBe(401)
    await scrape(app, { authorization: 'Bearer metrics-token-0123456789' })
  })

  it('is served on the service’s own port only, never under its public prefix', async () => {
    const app = build()
    expect((await app.inject('/api/bom-triggers/metrics')).statusCode).toBe(404)
    expect((await app.inject('/api/bom-triggers/health')).statusCode).toBe(200)
  })
})
