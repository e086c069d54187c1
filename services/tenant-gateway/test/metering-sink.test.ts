import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { createTestDb, type TestDb } from '@gatehouse/db-kit/testing'
import type { ServiceInstance } from '@gatehouse/service-kit'
import { freePort } from '@gatehouse/service-kit/testing'
import Fastify from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../metering/src/app.ts'
import { loadMeteringConfig } from '../../metering/src/config.ts'
import {
  createMeteringSink,
  type MeteringSink,
  type MeteringSinkOptions,
} from '../src/usage/metering-sink.ts'
import type { UsageEvent } from '../src/usage/usage-sink.ts'

const INTERNAL_SECRET = 'test-internal-secret-0123456789abcdefghijklmnop'
const meteringMigrations = fileURLToPath(new URL('../../metering/migrations', import.meta.url))

/** A real metering service on a loopback port, stopped and started again on the same port at will. */
interface Metering {
  url: string
  /** Sizes of the batches it answered, in order. */
  batches: number[]
  start(faults?: { slowFirstAnswersMs?: number; slowAnswers?: number }): Promise<void>
  stop(): Promise<void>
}

let db: TestDb
const running: ServiceInstance[] = []
const sinks: MeteringSink[] = []

beforeAll(async () => {
  db = await createTestDb({ migrationsDir: meteringMigrations, service: 'metering' })
})
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((sink) => sink.close()))
  await Promise.all(running.splice(0).map((app) => app.close()))
})
afterAll(async () => db?.close())

async function metering(): Promise<Metering> {
  const port = await freePort()
  let app: ServiceInstance | undefined
  const handle: Metering = {
    url: `http://127.0.0.1:${port}`,
    batches: [],
    async start(faults = {}) {
      let slow = faults.slowAnswers ?? 0
      const next = buildApp({
        config: loadMeteringConfig({ NODE_ENV: 'test', INTERNAL_SECRET }),
        db,
        logger: false,
      })
      next.addHook('onSend', async (request, reply, payload) => {
        if (request.url !== '/internal/usage-events') return payload
        if (reply.statusCode !== 200) return payload
        handle.batches.push((request.body as { events: unknown[] }).events.length)
        // The batch is stored already; only the answer is late, as when a response is lost.
        if (slow > 0) {
          slow -= 1
          await new Promise((resolve) => setTimeout(resolve, faults.slowFirstAnswersMs ?? 0))
        }
        return payload
      })
      await next.listen({ port, host: '127.0.0.1' })
      app = next
      running.push(next)
    },
    async stop() {
      await app?.close()
      app = undefined
    },
  }
  return handle
}

function captureLog() {
  const lines: { msg: string; level: number; [field: string]: unknown }[] = []
  const app = Fastify({
    logger: { level: 'info', stream: { write: (line: string) => lines.push(JSON.parse(line)) } },
  })
  return { log: app.log, lines }
}

function sinkTo(target: Metering, options: Partial<MeteringSinkOptions> = {}) {
  const { log, lines } = captureLog()
  const sink = createMeteringSink({
    url: target.url,
    internalSecret: INTERNAL_SECRET,
    log,
    retryBaseDelayMs: 20,
    retryMaxDelayMs: 200,
    closeTimeoutMs: 2_000,
    ...options,
  })
  sinks.push(sink)
  return { sink, lines }
}

function usageEvent(tenantId: string, overrides: Partial<UsageEvent> = {}): UsageEvent {
  return {
    id: randomUUID(),
    occurredAt: new Date(),
    tenantId,
    keyId: randomUUID(),
    upstream: 'bom-triggers',
    method: 'GET',
    path: '/api/tasks',
    status: 200,
    durationMs: 1.25,
    requestId: randomUUID(),
    ...overrides,
  }
}

async function stored(tenantId: string): Promise<{ events: number; keys: number; rolledUp: number }> {
  const [row] = await db.raw.query<{ events: number; keys: number; rolled_up: number }>(
    `select count(*)::int as events, count(distinct idempotency_key)::int as keys,
       (select coalesce(sum(event_count), 0)::int from usage_rollups_hourly where tenant_id = $1) as rolled_up
     from usage_events where tenant_id = $1`,
    [tenantId],
  )
  return { events: row!.events, keys: row!.keys, rolledUp: row!.rolled_up }
}

/** Waits for something the sink does on its own timers (its interval, its backoff). */
async function eventually<T>(
  read: () => Promise<T> | T,
  done: (value: T) => boolean,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await read()
    if (done(value) || Date.now() > deadline) return value
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

describe('the metering sink', () => {
  it('sends full batches at once, as api.request events of their tenant', async () => {
    const target = await metering()
    await target.start()
    const { sink } = sinkTo(target, { batchSize: 100, intervalMs: 60_000 })
    const tenant = randomUUID()
    const events = Array.from({ length: 250 }, () => usageEvent(tenant))
    for (const event of events) sink.record(event)

    expect(
      await eventually(
        () => stored(tenant),
        (s) => s.events === 250,
      ),
    ).toEqual({
      events: 250,
      keys: 250,
      rolledUp: 250,
    })
    expect(target.batches).toEqual([100, 100, 50])
    expect(
      await eventually(
        () => sink.stats(),
        (stats) => stats.sent === 250,
      ),
    ).toMatchObject({
      buffered: 0,
      dropped: 0,
      sent: 250,
      rejected: 0,
    })
    const [row] = await db.raw.query<{ metric: string; key_id: string; properties: string; source: string }>(
      `select metric, key_id::text as key_id, properties::text as properties, source
       from usage_events where tenant_id = $1 and idempotency_key = $2`,
      [tenant, events[7]!.id],
    )
    expect(row).toMatchObject({ metric: 'api.request', key_id: events[7]!.keyId, source: 'gateway' })
    expect(JSON.parse(row!.properties)).toEqual({
      upstream: 'bom-triggers',
      method: 'GET',
      path: '/api/tasks',
      status: 200,
      durationMs: 1.25,
      requestId: events[7]!.requestId,
    })
  })

  it('sends a batch that is not full on its interval, without being asked', async () => {
    const target = await metering()
    await target.start()
    const { sink } = sinkTo(target, { batchSize: 100, intervalMs: 300 })
    const tenant = randomUUID()
    for (let i = 0; i < 30; i++) sink.record(usageEvent(tenant))
    expect(target.batches).toEqual([])

    expect(
      await eventually(
        () => stored(tenant),
        (s) => s.events === 30,
      ),
    ).toMatchObject({ events: 30 })
    expect(target.batches).toEqual([30])
  })

  it('keeps events while metering is down and delivers each exactly once when it comes back', async () => {
    const target = await metering()
    const { sink } = sinkTo(target, { batchSize: 200, intervalMs: 50 })
    const tenant = randomUUID()
    for (let i = 0; i < 600; i++) sink.record(usageEvent(tenant))

    const down = await eventually(
      () => sink.stats(),
      (stats) => stats.failedAttempts >= 3,
    )
    expect(down).toMatchObject({ buffered: 600, sent: 0, dropped: 0 })
    await target.start()
    expect(
      await eventually(
        () => stored(tenant),
        (s) => s.events === 600,
      ),
    ).toEqual({
      events: 600,
      keys: 600,
      rolledUp: 600,
    })
    expect(
      await eventually(
        () => sink.stats(),
        (stats) => stats.buffered === 0,
      ),
    ).toMatchObject({
      buffered: 0,
      sent: 600,
      dropped: 0,
    })
  })

  it('resends a batch whose answer came too late, and metering still counts it once', async () => {
    const target = await metering()
    await target.start({ slowAnswers: 1, slowFirstAnswersMs: 2_000 })
    const { sink } = sinkTo(target, { batchSize: 50, intervalMs: 50, requestTimeoutMs: 300 })
    const tenant = randomUUID()
    for (let i = 0; i < 50; i++) sink.record(usageEvent(tenant))

    const stats = await eventually(
      () => sink.stats(),
      (s) => s.sent === 50,
    )
    expect(stats).toMatchObject({ sent: 50, buffered: 0 })
    expect(stats.failedAttempts).toBeGreaterThanOrEqual(1)
    expect(target.batches.length).toBeGreaterThanOrEqual(2)
    expect(await stored(tenant)).toEqual({ events: 50, keys: 50, rolledUp: 50 })
  })

  it('holds at most its bound, counts what it drops past it, and warns about it at a limited rate', async () => {
    const target = await metering()
    const { sink, lines } = sinkTo(target, { maxBuffered: 100, batchSize: 100, intervalMs: 50 })
    const tenant = randomUUID()
    for (let i = 0; i < 250; i++) sink.record(usageEvent(tenant))

    expect(sink.stats()).toMatchObject({ buffered: 100, dropped: 150, sent: 0 })
    const warnings = lines.filter((line) => line.msg === 'batch buffer full; items dropped')
    expect(warnings).toHaveLength(1)
    await target.start()
    expect(
      await eventually(
        () => sink.stats(),
        (stats) => stats.sent === 100,
      ),
    ).toMatchObject({
      buffered: 0,
      dropped: 150,
      sent: 100,
    })
    expect(await stored(tenant)).toMatchObject({ events: 100 })
  })

  it('flushes what it holds on close, before its interval comes', async () => {
    const target = await metering()
    await target.start()
    const { sink } = sinkTo(target, { intervalMs: 60_000, batchSize: 1_000 })
    const tenant = randomUUID()
    for (let i = 0; i < 30; i++) sink.record(usageEvent(tenant))
    expect(target.batches).toEqual([])

    await sink.close()
    expect(await stored(tenant)).toMatchObject({ events: 30 })
    expect(sink.stats()).toMatchObject({ buffered: 0, sent: 30 })
  })

  it('gives up on close after its timeout when metering stays down, counting what it could not send', async () => {
    const target = await metering()
    const { sink, lines } = sinkTo(target, { intervalMs: 60_000, closeTimeoutMs: 300 })
    for (let i = 0; i < 10; i++) sink.record(usageEvent(randomUUID()))

    const started = Date.now()
    await sink.close()
    expect(Date.now() - started).toBeLessThan(3_000)
    expect(sink.stats()).toMatchObject({ buffered: 0, dropped: 10, sent: 0 })
    expect(
      lines.some((line) => line.msg === 'batch buffer full; items dropped' && line.droppedTotal === 10),
    ).toBe(true)
    // After close nothing more is taken.
    sink.record(usageEvent(randomUUID()))
    expect(sink.stats().dropped).toBe(11)
  })

  it('never throws at the request: an unreadable event is counted; one metering refuses is reported', async () => {
    const target = await metering()
    await target.start()
    const { sink } = sinkTo(target, { intervalMs: 50 })
    const tenant = randomUUID()
    expect(() => sink.record(usageEvent(tenant, { occurredAt: new Date(Number.NaN) }))).not.toThrow()
    sink.record(usageEvent(tenant, { occurredAt: new Date(Date.now() - 40 * 24 * 3600 * 1000) }))
    sink.record(usageEvent(tenant, { path: `/api/tasks/${'x'.repeat(10_000)}` }))

    const stats = await eventually(
      () => sink.stats(),
      (s) => s.sent + s.rejected === 2,
    )
    expect(stats).toMatchObject({ dropped: 1, rejected: 1, sent: 1 })
    expect(await stored(tenant)).toMatchObject({ events: 1 })
  })
})
