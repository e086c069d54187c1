import { execFileSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, type Platform, startPlatform, userWithTenantKey } from './platform.ts'
import { type Answer, keyedLoad, refusedByGateway, tally } from './usage-load.ts'

// Issue 15, the gateway's usage stream across processes: every tenant request the gateway answered is stored by
// metering exactly once, also when metering stops answering for a while and comes back.
const REQUESTS = 300
const CONCURRENCY = 10

let platform: Platform

beforeAll(async () => {
  platform = await startPlatform({ USAGE_FLUSH_INTERVAL_MS: '200' })
}, 200_000)
afterAll(async () => {
  await platform?.stop()
})

/** `count` keyed requests, CONCURRENCY at a time; what the gateway answered. */
async function keyedRequests(
  key: string,
  path: string,
  count: number,
  onAnswer: () => void = () => {},
): Promise<Answer[]> {
  const load = keyedLoad({ gateway: platform.gateway, key, path, count, concurrency: CONCURRENCY, onAnswer })
  return (await load.done).answers
}

/**
 * The tenant's api.request events that occurred in [from, to), all pages, read through the gateway. The reads
 * are tenant requests too, but they occur after `to` and so are not counted.
 */
async function storedRequests(key: string, from: Date, to: Date): Promise<string[]> {
  const keys: string[] = []
  let cursor: string | null = null
  do {
    const query = new URLSearchParams({
      metric: 'api.request',
      source: 'gateway',
      from: from.toISOString(),
      to: to.toISOString(),
      limit: '200',
      ...(cursor ? { cursor } : {}),
    })
    const page = await call(platform.gateway, 'GET', `/api/usage/events?${query}`, {
      headers: { 'x-api-key': key },
    })
    expect(page.status).toBe(200)
    keys.push(...page.body.events.map((event: { idempotencyKey: string }) => event.idempotencyKey))
    cursor = page.body.nextCursor
  } while (cursor)
  return keys
}

/**
 * The end of the counted period, once it has passed: an event's time is taken when the gateway has finished
 * sending the answer, which may be just after the client read it; the reads that check run after it.
 */
async function periodEnd(): Promise<Date> {
  const to = new Date(Date.now() + 1_000)
  await new Promise((resolve) => setTimeout(resolve, 1_100))
  return to
}

/** Polls (bounded) until metering holds at least `expected` events of the period, then returns what it holds. */
async function eventuallyStored(key: string, from: Date, to: Date, expected: number): Promise<string[]> {
  const deadline = Date.now() + 60_000
  for (;;) {
    const keys = await storedRequests(key, from, to)
    if (keys.length >= expected || Date.now() > deadline) return keys
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

function listeningPid(port: number): number {
  const pids = execFileSync('lsof', ['-t', `-iTCP:${port}`, '-sTCP:LISTEN'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map(Number)
  expect(pids).toHaveLength(1)
  return pids[0]!
}

describe('the gateway usage stream across processes (pnpm start)', () => {
  it('stores each answered tenant request once as an api.request event', async () => {
    const { key } = await userWithTenantKey(platform.gateway, { scopes: ['usage:read'] })
    const from = new Date(Date.now() - 1_000)
    const answers = await keyedRequests(key, '/api/usage/events?limit=1', REQUESTS)
    const to = await periodEnd()
    const usage = answers.filter((answer) => !refusedByGateway(answer))
    expect(usage.filter(({ status }) => status === 200).length, tally(answers)).toBeGreaterThan(REQUESTS / 2)

    const keys = await eventuallyStored(key, from, to, usage.length)
    expect(keys.length, tally(answers)).toBe(usage.length)
    expect(new Set(keys).size).toBe(usage.length)
  }, 120_000)

  it('loses and doubles nothing while metering is stopped and resumed under load', async () => {
    const { key } = await userWithTenantKey(platform.gateway, { scopes: ['usage:read', 'tasks:read'] })
    const metering = listeningPid(platform.ports.metering!)
    const from = new Date(Date.now() - 1_000)
    // Requests to bom-triggers keep flowing while metering is frozen: a batch in flight times out and is resent.
    let frozen = false
    let answeredWhileFrozen = 0
    const load = keyedRequests(key, '/api/tasks', REQUESTS, () => {
      if (frozen) answeredWhileFrozen += 1
    })
    process.kill(metering, 'SIGSTOP')
    frozen = true
    try {
      await new Promise((resolve) => setTimeout(resolve, 3_000))
      // Still ready, with the events metering has not taken yet waiting in the buffer.
      const ready = await call(platform.gateway, 'GET', '/ready')
      expect(ready.status).toBe(200)
      expect(ready.body.usage.buffered).toBeGreaterThan(0)
      expect(ready.body.usage.dropped).toBe(0)
    } finally {
      frozen = false
      process.kill(metering, 'SIGCONT')
    }
    // Client requests were answered while metering could not answer anything.
    expect(answeredWhileFrozen).toBeGreaterThan(0)
    const answers = await load
    const to = await periodEnd()
    const usage = answers.filter((answer) => !refusedByGateway(answer))
    expect(usage.filter(({ status }) => status === 200).length, tally(answers)).toBeGreaterThan(REQUESTS / 2)

    const keys = await eventuallyStored(key, from, to, usage.length)
    expect(keys.length, tally(answers)).toBe(usage.length)
    expect(new Set(keys).size).toBe(usage.length)
  }, 120_000)
})
