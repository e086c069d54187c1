/**
 * `pnpm --filter @gatehouse/bom-triggers bench`: task creation through the real server (src/server.ts in its own
 * process, PostgreSQL) for a tenant with 50 active ON_TASK_CREATE triggers against a tenant with none, requests
 * interleaved so both see the same machine; then condition evaluations per second, compiled closures against
 * json-rules-engine on the same 50 conditions, in this process. Needs BENCH_DATABASE_URL or TEST_DATABASE_URL (a
 * server URL; a database is created and dropped). BENCH_REQUESTS (default 1000 per case and concurrency) and
 * BENCH_EVAL_MS (default 1000 per round) make it shorter or longer; BENCH_CPU_PROF=<dir> writes the server's CPU
 * profile there (node --cpu-prof, on exit).
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { INTERNAL_CONTEXT_HEADER, signInternalContext } from '@gatehouse/service-kit'
import {
  type BenchServer,
  benchServerUrl,
  cpuProfileArgs,
  latencies,
  percentile,
  startBenchServer,
} from '@gatehouse/service-kit/bench'
import { Engine } from 'json-rules-engine'
import { Pool } from 'undici'
import { compileConditions } from '../src/engine/conditions.ts'
import type { EventContext } from '../src/engine/event-context.ts'
import { BENCH_SKUS, benchTriggers, toJsonRulesEngine } from './triggers.ts'

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1000)
const EVAL_MS = Number(process.env.BENCH_EVAL_MS ?? 1000)
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF
const INTERNAL_SECRET = randomBytes(32).toString('base64url')
const serviceDir = fileURLToPath(new URL('..', import.meta.url))

const serverUrl = benchServerUrl(process.env)

const median = (values: number[]) => percentile(values, 50)

interface Caller {
  name: string
  call(
    method: 'GET' | 'POST' | 'PATCH',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }>
}

function callerFor(pool: Pool, name: string, token: string): Caller {
  return {
    name,
    async call(method, path, body) {
      const response = await pool.request({
        method,
        path,
        headers: {
          [INTERNAL_CONTEXT_HEADER]: token,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      const text = await response.body.text()
      return { status: response.statusCode, body: text ? JSON.parse(text) : undefined }
    },
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the bench reads a few known fields of its own responses
type Json = any

async function expectStatus(
  answer: Promise<{ status: number; body: unknown }>,
  status: number,
  what: string,
): Promise<Json> {
  const { status: got, body } = await answer
  if (got !== status) throw new Error(`${what}: ${got} ${JSON.stringify(body)}`)
  return body
}

async function tenant(pool: Pool, name: string): Promise<Caller> {
  const token = await signInternalContext(
    INTERNAL_SECRET,
    { tenantId: randomUUID(), scopes: [] },
    { audience: 'bom-triggers', ttlSeconds: 3600 },
  )
  const caller = callerFor(pool, name, token)
  const seeded = await expectStatus(caller.call('GET', '/api/bom-triggers'), 200, 'list triggers')
  for (const trigger of seeded.items as { id: string }[]) {
    await expectStatus(caller.call('POST', `/api/bom-triggers/${trigger.id}/deactivate`), 200, 'deactivate')
  }
  return caller
}

interface Case {
  name: string
  caller: Caller
  type: 'LAN' | 'FIBER'
}

/** One task creation timed from the client: HTTP, the transaction, every trigger, the response. */
async function createTask({ caller, type }: Case, n: number): Promise<{ ms: number; runs: number }> {
  const started = performance.now()
  const body = await expectStatus(
    caller.call('POST', '/api/tasks', { title: `Office ${type} ${n}`, type }),
    201,
    'create task',
  )
  return { ms: performance.now() - started, runs: body.triggerRuns.length }
}

/** `requests` creations per case at `parallel` in flight, the cases alternating request by request. */
async function interleaved(cases: Case[], requests: number, parallel: number) {
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]))
  const runs = new Map<string, number>()
  let next = 0
  const total = requests * cases.length
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < total) {
        const n = next++
        const chosen = cases[n % cases.length]!
        const { ms, runs: count } = await createTask(chosen, n)
        samples.get(chosen.name)!.push(ms)
        runs.set(chosen.name, count)
      }
    }),
  )
  return cases.map((t) => {
    const values = samples.get(t.name)!
    return {
      name: t.name,
      parallel,
      p50: median(values),
      p99: percentile(values, 99),
      mean: values.reduce((a, b) => a + b, 0) / values.length,
      runs: runs.get(t.name) ?? 0,
    }
  })
}

async function conditionBench() {
  const conditions = benchTriggers().map((trigger) => trigger.conditions)
  const compiled = conditions.map((condition) => {
    const result = compileConditions(condition, 'ON_TASK_CREATE')
    if (!result.ok) throw new Error(JSON.stringify(result.errors))
    return result.compiled
  })
  const context: EventContext = {
    event: 'ON_TASK_CREATE',
    depth: 0,
    task: { id: randomUUID(), title: 'Office LAN 7', type: 'LAN', status: 'PENDING' },
  }
  const engine = new Engine([], { allowUndefinedFacts: true })
  // Its own `contains` is for arrays only; these two give it the string tests our language has.
  engine.addOperator(
    'startsWith',
    (fact: unknown, value: unknown) => typeof fact === 'string' && fact.startsWith(String(value)),
  )
  engine.addOperator(
    'stringContains',
    (fact: unknown, value: unknown) => typeof fact === 'string' && fact.includes(String(value)),
  )
  for (const [i, condition] of conditions.entries()) {
    engine.addRule({
      name: `rule ${i}`,
      conditions: toJsonRulesEngine(condition) as never,
      event: { type: `t${i}` },
    })
  }
  const facts = {
    'task.id': context.task.id,
    'task.title': context.task.title,
    'task.type': 'LAN',
    'task.status': 'PENDING',
    depth: 0,
    event: 'ON_TASK_CREATE',
  }

  // The two engines must agree before their speed means anything.
  const ours = compiled.map((c) => c.test(context))
  const theirs = (await engine.run(facts)).results.map((r) => Number(String(r.name).split(' ')[1]))
  const oursMatched = ours.flatMap((matched, i) => (matched ? [i] : []))
  if (JSON.stringify(oursMatched) !== JSON.stringify([...theirs].sort((a, b) => a - b)))
    throw new Error(`engines disagree: ${oursMatched} vs ${theirs}`)

  const compiledRound = () => {
    let evaluations = 0
    let matched = 0
    const until = performance.now() + EVAL_MS
    while (performance.now() < until) {
      for (let batch = 0; batch < 200; batch++) {
        for (const c of compiled) if (c.test(context)) matched++
        evaluations += compiled.length
      }
    }
    if (matched === 0) throw new Error('nothing matched')
    return evaluations / (EVAL_MS / 1000)
  }
  const jreRound = async () => {
    let evaluations = 0
    const until = performance.now() + EVAL_MS
    while (performance.now() < until) {
      await engine.run(facts)
      evaluations += conditions.length
    }
    return evaluations / (EVAL_MS / 1000)
  }
  const oursRates: number[] = []
  const jreRates: number[] = []
  for (let round = 0; round < 3; round++) {
    oursRates.push(compiledRound())
    jreRates.push(await jreRound())
  }
  return { compiled: median(oursRates), jre: median(jreRates), matching: oursMatched.length }
}

let server: BenchServer | undefined
let pool: Pool | undefined
try {
  server = await startBenchServer({
    service: 'bom-triggers',
    serviceDir,
    serverUrl,
    dbMax: 2,
    healthTimeoutMs: 15_000,
    execArgv: cpuProfileArgs(CPU_PROF_DIR),
    env: {
      INTERNAL_SECRET,
      CRON_SECRET: randomBytes(32).toString('base64url'),
      WEBHOOK_SECRET_KEY: randomBytes(32).toString('base64url'),
      WEBHOOK_DELIVERY: 'false',
      // Latency is what is measured here: the server must not shed the bench's own load.
      LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '0',
    },
  })
  const { base, db } = server
  pool = new Pool(base, { connections: 16 })

  const baseline = await tenant(pool, 'no triggers')
  const loaded = await tenant(pool, '50 triggers')
  for (const [i, sku] of BENCH_SKUS.entries()) {
    await expectStatus(
      loaded.call('POST', '/api/materials', {
        sku,
        name: `Bench ${i}`,
        unit: 'pcs',
        unitCost: `${i + 1}.25`,
      }),
      201,
      'material',
    )
  }
  for (const trigger of benchTriggers())
    await expectStatus(loaded.call('POST', '/api/bom-triggers', trigger), 201, 'trigger')

  const cases: Case[] = [
    { name: 'no triggers', caller: baseline, type: 'LAN' },
    { name: '50, 0 match', caller: loaded, type: 'FIBER' },
    { name: '50, 5 match', caller: loaded, type: 'LAN' },
  ]
  await interleaved(cases, 200, 4) // warm-up: JIT, pools, compiled conditions
  const results = [...(await interleaved(cases, REQUESTS, 1)), ...(await interleaved(cases, REQUESTS, 10))]
  const evaluation = await conditionBench()
  // One PostgreSQL round trip from this (idle) process: tells a busy database from a server starved of CPU.
  const roundTrips = await latencies(500, 1, () => db.raw.query('select 1'))

  const row = (r: (typeof results)[number]) =>
    `| ${r.name.padEnd(12)} | ${String(r.parallel).padStart(8)} | ${r.p50.toFixed(2).padStart(7)} ms | ${r.p99.toFixed(2).padStart(7)} ms | ${r.mean.toFixed(2).padStart(7)} ms | ${String(r.runs).padStart(12)} |`
  const ratio = (parallel: number, name: string) => {
    const none = results.find((r) => r.parallel === parallel && r.name === 'no triggers')!
    const fifty = results.find((r) => r.parallel === parallel && r.name === name)!
    return `${(fifty.p50 / none.p50).toFixed(2)} (p99 ${(fifty.p99 / none.p99).toFixed(2)})`
  }
  const lines = [
    `bom-triggers bench: POST /api/tasks, ${REQUESTS} per case and concurrency, PostgreSQL, Node ${process.version}, ${cpus().length} CPUs, load average at the end ${loadavg()[0]!.toFixed(1)}`,
    '',
    '| tenant, task | in flight |     p50    |     p99    |    mean    | trigger runs |',
    '|--------------|----------|------------|------------|------------|--------------|',
    ...results.map(row),
    '',
    ...['50, 0 match', '50, 5 match'].map(
      (name) =>
        `p50 ${name} / no triggers: ${ratio(1, name)} one at a time, ${ratio(10, name)} with 10 in flight (goal: p50 <= 5 ms and <= 2x)`,
    ),
    `PostgreSQL round trip from the bench process (select 1) p50 ${median(roundTrips).toFixed(2)} ms, p99 ${percentile(roundTrips, 99).toFixed(2)} ms`,
    `condition evaluations/s (50 conditions, ${evaluation.matching} matching, median of 3 rounds of ${EVAL_MS} ms): compiled ${Math.round(evaluation.compiled).toLocaleString('en')} (goal >= 200,000), json-rules-engine ${Math.round(evaluation.jre).toLocaleString('en')}: ${(evaluation.compiled / evaluation.jre).toFixed(0)}x`,
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
} finally {
  await pool?.close()
  await server?.close()
}
