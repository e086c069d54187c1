import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, userWithTenantKey } from './platform.ts'
import { type Processes, startProcesses } from './processes.ts'
import { type Answer, keyedLoad, refusedByGateway, tally } from './usage-load.ts'

// Issue 15, the gateway's usage stream under failure, with the services as processes on PostgreSQL: metering
// stopped and restarted under load, then the gateway itself stopped with SIGTERM under load.
const REQUESTS = 10_000
const CONCURRENCY = 20
const METERING_DOWN_MS = 4_000
// Every event of the test fits, so any drop is a failure: the whole 10,000 could wait for metering at once.
const USAGE_BUFFER_MAX = 2 * REQUESTS

const onPostgres = Boolean(process.env.TEST_DATABASE_URL)
let platform: Processes<'auth-api' | 'tenant-gateway' | 'bom-triggers' | 'metering'>

beforeAll(async () => {
  if (!onPostgres) return
  platform = await startProcesses(['auth-api', 'tenant-gateway', 'bom-triggers', 'metering'], {
    USAGE_BUFFER_MAX: String(USAGE_BUFFER_MAX),
  })
}, 90_000)
afterAll(async () => {
  await platform?.close()
})

/** A tenant with an API key reading tasks, limited high enough that the gateway never refuses the test's load. */
async function busyTenant(): Promise<{ tenantId: string; key: string }> {
  const { tenantId, key } = await userWithTenantKey(platform.gateway, { scopes: ['tasks:read'] })
  // The gateway has no route that changes a tenant's limits: an operator sets the override in its database.
  // Before the key's first use, so no verification cached the plan's limit.
  await platform.services['tenant-gateway'].database.raw.query(
    'update clients set rate_limit_max = $2, rate_limit_window_ms = $3 where id = $1',
    [tenantId, 1_000_000, 60_000],
  )
  return { tenantId, key }
}

/** The tenant's api.request events in metering's database: idempotency key and the gateway's request id. */
async function storedEvents(tenantId: string): Promise<{ idempotencyKey: string; requestId: string }[]> {
  return platform.services.metering.database.raw.query(
    `select idempotency_key as "idempotencyKey", properties->>'requestId' as "requestId" from usage_events
     where tenant_id = $1 and metric = 'api.request' and source = 'gateway'`,
    [tenantId],
  )
}

/** The gateway's usage backlog and drops, from its /ready. */
async function usageStats(): Promise<{ buffered: number; dropped: number }> {
  const ready = await call(platform.gateway, 'GET', '/ready')
  expect(ready.status).toBe(200)
  return ready.body.usage
}

/** Polls (bounded) until the gateway holds no usage event that metering has not acknowledged. */
async function drained(): Promise<{ buffered: number; dropped: number }> {
  const deadline = Date.now() + 30_000
  for (;;) {
    const usage = await usageStats()
    if (usage.buffered === 0 || Date.now() > deadline) return usage
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** Request ids in `expected` that metering does not hold, and stored ones that are not in `expected`. */
function difference(expected: Answer[], stored: { requestId: string }[]) {
  const storedIds = new Set(stored.map((event) => event.requestId))
  const expectedIds = new Set(expected.map((answer) => answer.requestId))
  return {
    missing: [...expectedIds].filter((id) => !storedIds.has(id)).length,
    unexpected: [...storedIds].filter((id) => !expectedIds.has(id)).length,
  }
}

const until = async (condition: () => boolean) => {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20))
}

describe.runIf(onPostgres)('the gateway usage stream under failure (processes on PostgreSQL)', () => {
  it('stores each answered request once while metering is stopped and restarted under load', async () => {
    const { tenantId, key } = await busyTenant()
    const metering = platform.services.metering
    let meteringDown = false
    let answeredWhileDown = 0
    const load = keyedLoad({
      gateway: platform.gateway,
      key,
      path: '/api/tasks',
      count: REQUESTS,
      concurrency: CONCURRENCY,
      onAnswer: () => {
        if (meteringDown) answeredWhileDown += 1
      },
    })
    await Promise.race([until(() => load.answers.length >= 2_000), load.done])
    expect(await metering.stop('SIGTERM')).toBe(0)
    meteringDown = true
    await new Promise((resolve) => setTimeout(resolve, METERING_DOWN_MS))
    // Still ready, with what metering has not taken waiting in the buffer, nothing dropped.
    const whileDown = await usageStats()
    expect(whileDown.buffered).toBeGreaterThan(0)
    expect(whileDown.dropped).toBe(0)
    await metering.start()
    meteringDown = false
    const { answers } = await load.done

    // Client requests were answered while metering was gone: the stream never holds a request.
    expect(answeredWhileDown).toBeGreaterThan(0)
    const usage = answers.filter((answer) => !refusedByGateway(answer))
    expect(usage.filter(({ status }) => status === 200).length, tally(answers)).toBe(REQUESTS)
    const gatewayLog = platform.services['tenant-gateway'].output().slice(-4_000)
    expect(await drained(), gatewayLog).toEqual({ buffered: 0, dropped: 0 })
    const stored = await storedEvents(tenantId)
    expect(stored.length, tally(answers)).toBe(usage.length)
    expect(new Set(stored.map((event) => event.idempotencyKey)).size).toBe(stored.length)
    expect(difference(usage, stored)).toEqual({ missing: 0, unexpected: 0 })
  }, 120_000)

  it('stores everything the gateway acknowledged when it is stopped with SIGTERM under load', async () => {
    const { tenantId, key } = await busyTenant()
    const gateway = platform.services['tenant-gateway']
    const load = keyedLoad({
      gateway: platform.gateway,
      key,
      path: '/api/tasks',
      count: REQUESTS,
      concurrency: CONCURRENCY,
      tolerateFailures: true,
    })
    await Promise.race([until(() => load.answers.length >= 1_500), load.done])
    // No request leaves after the signal: those already sent are all that may still be counted.
    load.stop()
    const inFlight = load.unanswered()
    expect(await gateway.stop('SIGTERM'), gateway.output()).toBe(0)
    const { answers } = await load.done

    const acknowledged = answers.filter((answer) => !refusedByGateway(answer))
    expect(acknowledged.length, tally(answers)).toBeGreaterThanOrEqual(1_500)
    // The gateway has exited: whatever it flushed on the way out is all there is.
    const stored = await storedEvents(tenantId)
    expect(new Set(stored.map((event) => event.idempotencyKey)).size).toBe(stored.length)
    expect(difference(acknowledged, stored).missing, tally(answers)).toBe(0)
    expect(stored.length).toBeLessThanOrEqual(acknowledged.length + inFlight)
  }, 60_000)
})
