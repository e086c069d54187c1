import { afterEach, describe, expect, it } from 'vitest'
import type { ServiceInstance } from '../src/create-service.ts'
import { DEFAULT_PLATFORM_SETTINGS } from '../src/platform-settings.ts'
import { widgetsService } from './fixtures/widgets-service.ts'

let app: ServiceInstance | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

/** Keeps the event loop busy in 80 ms slices for `ms`, as sustained CPU-bound work would (timers still run between). */
async function keepEventLoopBusy(ms: number): Promise<void> {
  const until = performance.now() + ms
  while (performance.now() < until) {
    const slice = performance.now() + 80
    while (performance.now() < slice) {}
    await new Promise((resolve) => setImmediate(resolve))
  }
}

/** One long pause, as a GC or a compile at start would be. */
function blockEventLoop(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {}
}

/** Lets the sampler run (a 100 ms timer) until the gauge shows the expected state. */
async function untilLoad(target: ServiceInstance, overloaded: boolean): Promise<void> {
  for (let tries = 0; tries < 200 && target.load.overloaded() !== overloaded; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  expect(target.load.overloaded()).toBe(overloaded)
}

const settings = (maxEventLoopDelayMs: number) => ({
  loadShedding: {
    ...DEFAULT_PLATFORM_SETTINGS.loadShedding,
    maxEventLoopDelayMs,
    sampleIntervalMs: 100,
    retryAfterSeconds: 7,
  },
})

describe('load shedding', () => {
  it('answers 503 problem+json with Retry-After while the event loop lags, keeps liveness up, says so in /ready', async () => {
    app = widgetsService({ platform: settings(30) })
    await app.ready()
    expect((await app.inject('/api/tasks/widgets/mine')).statusCode).toBe(200)

    const busy = keepEventLoopBusy(2_500)
    await untilLoad(app, true)
    const shed = await app.inject('/api/tasks/widgets/mine')
    expect(shed.statusCode).toBe(503)
    expect(shed.headers['content-type']).toContain('application/problem+json')
    expect(shed.headers['retry-after']).toBe('7')
    expect(shed.json()).toMatchObject({ code: 'BOM_TRIGGERS_OVERLOADED', status: 503 })
    expect((await app.inject('/health')).statusCode).toBe(200)
    expect((await app.inject('/api/bom-triggers/health')).statusCode).toBe(200)
    const ready = await app.inject('/ready')
    expect(ready.statusCode).toBe(503)
    expect(ready.json()).toMatchObject({ code: 'BOM_TRIGGERS_OVERLOADED', load: { overloaded: true } })
    const delay = ready.json().load.eventLoopDelayMs
    // null: the loop was busy through a whole sample, the worst case.
    expect(delay === null || delay > 30).toBe(true)
    const metrics = await app.inject('/metrics')
    expect(metrics.statusCode).toBe(200)
    expect(metrics.body).toMatch(/gatehouse_load_shed_total\{service="bom-triggers"\} [1-9]/)

    await busy
    await untilLoad(app, false)
    expect((await app.inject('/api/tasks/widgets/mine')).statusCode).toBe(200)
    expect((await app.inject('/ready')).statusCode).toBe(200)
  })

  it('does not shed for one long pause (a compile at start, a major GC), at the servers’ one-second samples', async () => {
    app = widgetsService({
      platform: { loadShedding: { ...settings(30).loadShedding, sampleIntervalMs: 1_000 } },
    })
    await app.ready()
    blockEventLoop(400)
    for (let check = 0; check < 25; check++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(app.load.overloaded()).toBe(false)
    }
    expect((await app.inject('/api/tasks/widgets/mine')).statusCode).toBe(200)
  })

  it('sheds on event-loop utilization when that threshold is set instead', async () => {
    app = widgetsService({
      platform: { loadShedding: { ...settings(0).loadShedding, maxEventLoopUtilization: 0.5 } },
    })
    await app.ready()
    const busy = keepEventLoopBusy(2_000)
    await untilLoad(app, true)
    expect(app.load.state().eventLoopUtilization).toBeGreaterThan(0.5)
    expect((await app.inject('/api/tasks/widgets/mine')).statusCode).toBe(503)
    await busy
  })

  it('sheds nothing when both thresholds are 0, the lag still being measured', async () => {
    app = widgetsService({ platform: settings(0) })
    await app.ready()
    const busy = keepEventLoopBusy(1_000)
    const sampled = app.load
    for (let tries = 0; tries < 100 && sampled.state().eventLoopUtilization < 0.5; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    expect(sampled.state().eventLoopUtilization).toBeGreaterThan(0.5)
    expect((await app.inject('/api/tasks/widgets/mine')).statusCode).toBe(200)
    expect((await app.inject('/ready')).statusCode).toBe(200)
    await busy
  })

  it('can be turned off', async () => {
    app = widgetsService({ loadShedding: false })
    await app.ready()
    expect(app.hasDecorator('load')).toBe(false)
    expect((await app.inject('/ready')).statusCode).toBe(200)
  })
})
