/**
 * `pnpm --filter @gatehouse/metering bench`: in one run on a fresh PostgreSQL database, against the real server
 * (src/server.ts in its own process):
 * - ingest through POST /internal/usage-events, batches of 500 from a few concurrent senders, against the
 *   baseline: raw COPY of the same kind of rows into the same tables (keys ledger, usage_events with its indexes)
 *   plus the same rollup upsert, per batch in one transaction, from as many senders; rounds alternate;
 * - GET /api/usage/summary of one tenant over a month holding 1,000,000 events, and the gateway's month-to-date
 *   call for 1,000 tenants.
 * Needs BENCH_DATABASE_URL or TEST_DATABASE_URL (a server URL; a database is created and dropped).
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import {
  INTERNAL_CONTEXT_HEADER,
  SERVICE_TOKEN_HEADER,
  signInternalContext,
  signServiceToken,
} from '@gatehouse/service-kit'
import {
  type BenchServer,
  benchServerUrl,
  cpuProfileArgs,
  latencies,
  percentile,
  startBenchServer,
} from '@gatehouse/service-kit/bench'
import postgres from 'postgres'
import { Pool } from 'undici'

const BATCH = 500
const SENDERS = Number(process.env.BENCH_CONNECTIONS ?? 4)
const EVENTS_PER_ROUND = 100_000
const ROUNDS = 3
const TENANTS = 200
const SUMMARY_EVENTS = 1_000_000
const serviceDir = fileURLToPath(new URL('..', import.meta.url))
const secret = randomBytes(32).toString('base64url')

const serverUrl = benchServerUrl(process.env)

/** Runs the batches from `senders` concurrent loops; events per second over the whole run. */
async function throughput<T>(
  batches: T[],
  senders: number,
  send: (batch: T) => Promise<void>,
): Promise<number> {
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: senders }, async () => {
      while (next < batches.length) await send(batches[next++]!)
    }),
  )
  return (batches.length * BATCH) / ((performance.now() - started) / 1000)
}

const tenants = Array.from({ length: TENANTS }, () => randomUUID())
const keysOf = new Map(tenants.map((tenant) => [tenant, [randomUUID(), randomUUID()]]))

interface BenchEvent {
  tenantId: string
  keyId: string
  idempotencyKey: string
  occurredAt: Date
  properties: Record<string, string | number>
}

/** Gateway-like events: a tenant, one of its keys, the last few seconds (the sink sends every second), a few properties. */
function eventBatches(count: number): BenchEvent[][] {
  const now = new Date()
  return Array.from({ length: count / BATCH }, () =>
    Array.from({ length: BATCH }, () => {
      const tenantId = tenants[Math.floor(Math.random() * TENANTS)]!
      return {
        tenantId,
        keyId: keysOf.get(tenantId)![Math.floor(Math.random() * 2)]!,
        idempotencyKey: randomUUID(),
        occurredAt: new Date(now.getTime() - Math.floor(Math.random() * 3_000)),
        properties: {
          upstream: 'bom-triggers',
          method: 'GET',
          path: '/api/tasks/42',
          status: 200,
          durationMs: 3.2,
          requestId: randomUUID(),
        },
      }
    }),
  )
}

function httpBody(batch: BenchEvent[]): string {
  return JSON.stringify({
    events: batch.map((event) => ({
      ...event,
      metric: 'api.request',
      quantity: '1',
      occurredAt: event.occurredAt.toISOString(),
    })),
  })
}

const copyText = (values: string[][]) => `${values.map((row) => row.join('\t')).join('\n')}\n`

/** What COPY writes for one batch, prepared before the clock starts, like the HTTP bodies. */
function copyPayload(batch: BenchEvent[], receivedAt: string) {
  const ids = batch.map(() => randomUUID())
  const rollup = new Map<string, { tenant: string; key: string; hour: string; count: number }>()
  for (const event of batch) {
    const hour = new Date(Math.floor(event.occurredAt.getTime() / 3_600_000) * 3_600_000).toISOString()
    const bucket = `${event.tenantId} ${event.keyId} ${hour}`
    const current = rollup.get(bucket) ?? { tenant: event.tenantId, key: event.keyId, hour, count: 0 }
    current.count += 1
    rollup.set(bucket, current)
  }
  return {
    keys: copyText(
      batch.map((event, i) => [
        event.tenantId,
        event.idempotencyKey,
        ids[i]!,
        event.occurredAt.toISOString(),
        receivedAt,
      ]),
    ),
    events: copyText(
      batch.map((event, i) => [
        ids[i]!,
        event.tenantId,
        'api.request',
        '1',
        event.occurredAt.toISOString(),
        receivedAt,
        event.idempotencyKey,
        'gateway',
        event.keyId,
        JSON.stringify(event.properties).replaceAll('\\', '\\\\'),
      ]),
    ),
    rollup: JSON.stringify(
      [...rollup.values()]
        .sort((a, b) => `${a.tenant}${a.hour}${a.key}`.localeCompare(`${b.tenant}${b.hour}${b.key}`))
        .map((row) => ({ tenant_id: row.tenant, key_id: row.key, hour: row.hour, count: row.count })),
    ),
  }
}

async function copyInto(
  sql: postgres.Sql | postgres.TransactionSql,
  statement: string,
  text: string,
): Promise<void> {
  const stream = await sql.unsafe(statement).writable()
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject)
    stream.end(text, () => resolve())
  })
}

let server: BenchServer | undefined
let copier: postgres.Sql | undefined
try {
  server = await startBenchServer({
    service: 'metering',
    serviceDir,
    serverUrl,
    dbMax: 4,
    execArgv: cpuProfileArgs(process.env.BENCH_CPU_PROF),
    healthTimeoutMs: 15_000,
    env: {
      INTERNAL_SECRET: secret,
      // Measuring capacity: a shed batch would only be retried by the gateway.
      LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '0',
    },
  })
  const { base, db } = server
  const copySql = postgres(server.databaseUrl, { max: SENDERS, onnotice: () => {} })
  copier = copySql
  const client = new Pool(base, { connections: SENDERS })
  const serviceToken = () => signServiceToken(secret, { issuer: 'tenant-gateway', audience: 'metering' })

  const postBatch = async (body: string) => {
    const response = await client.request({
      path: '/internal/usage-events',
      method: 'POST',
      headers: { 'content-type': 'application/json', [SERVICE_TOKEN_HEADER]: await serviceToken() },
      body,
    })
    const text = await response.body.text()
    const answer = JSON.parse(text) as { accepted?: number }
    if (response.statusCode !== 200 || answer.accepted !== BATCH) {
      throw new Error(`ingest answered ${response.statusCode}: ${text.slice(0, 300)}`)
    }
  }
  const copyBatch = async (payload: ReturnType<typeof copyPayload>) => {
    await copySql.begin(async (tx) => {
      await copyInto(
        tx,
        'copy usage_event_keys (tenant_id, idempotency_key, event_id, occurred_at, received_at) from stdin',
        payload.keys,
      )
      await copyInto(
        tx,
        'copy usage_events (id, tenant_id, metric, quantity, occurred_at, received_at, idempotency_key, source, key_id, properties) from stdin',
        payload.events,
      )
      await tx.unsafe(
        `insert into usage_rollups_hourly (tenant_id, metric, key_id, hour, quantity, event_count)
         select tenant_id, 'api.request', key_id, hour, count, count
         from jsonb_to_recordset($1::text::jsonb) as r(tenant_id uuid, key_id uuid, hour timestamptz, count int)
         on conflict (tenant_id, metric, hour, key_id) do update
           set quantity = usage_rollups_hourly.quantity + excluded.quantity,
               event_count = usage_rollups_hourly.event_count + excluded.event_count`,
        [payload.rollup],
      )
    })
  }

  // Warm-up: JIT, pools, partition cache (not measured).
  const now = new Date()
  await throughput(eventBatches(10_000).map(httpBody), SENDERS, postBatch)
  await throughput(
    eventBatches(10_000).map((batch) => copyPayload(batch, now.toISOString())),
    SENDERS,
    copyBatch,
  )

  const http: number[] = []
  const copy: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    http.push(await throughput(eventBatches(EVENTS_PER_ROUND).map(httpBody), SENDERS, postBatch))
    const payloads = eventBatches(EVENTS_PER_ROUND).map((batch) =>
      copyPayload(batch, new Date().toISOString()),
    )
    copy.push(await throughput(payloads, SENDERS, copyBatch))
  }
  const [{ rows }] = (await db.raw.query<{ rows: number }>(
    'select count(*)::int as rows from usage_events',
  )) as [{ rows: number }]

  // One tenant's month of 1,000,000 events (written directly: this measures the read side), rollup built from them.
  const heavy = randomUUID()
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1))
  const monthEnd = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1))
  await db.raw.query('select ensure_usage_events_partitions($1, $1)', [monthStart.toISOString()])
  const spacing = (monthEnd.getTime() - monthStart.getTime()) / SUMMARY_EVENTS
  await db.raw.query(
    `insert into usage_events (tenant_id, metric, quantity, occurred_at, received_at, idempotency_key, source, key_id)
     select $1, case when i % 10 = 0 then 'emails.sent' else 'api.request' end, 1,
       $2::timestamptz + (i * $3::float8) * interval '1 millisecond', now(), 'heavy-' || i, 'gateway',
       (array[$4, $5, $6]::uuid[])[1 + i % 3]
     from generate_series(0, $7::int - 1) as i`,
    [heavy, monthStart.toISOString(), spacing, randomUUID(), randomUUID(), randomUUID(), SUMMARY_EVENTS],
  )
  await db.raw.query(
    `insert into usage_rollups_hourly (tenant_id, metric, key_id, hour, quantity, event_count)
     select tenant_id, metric, key_id, date_trunc('hour', occurred_at, 'UTC'), sum(quantity), count(*)
     from usage_events where tenant_id = $1 group by 1, 2, 3, 4`,
    [heavy],
  )
  await db.raw.exec('analyze')
  const context = await signInternalContext(
    secret,
    { tenantId: heavy, scopes: [] },
    { audience: 'metering', ttlSeconds: 600 },
  )
  const timed = async (calls: number, call: () => Promise<void>) => {
    for (let i = 0; i < 20; i++) await call()
    const measured = await latencies(calls, 1, call)
    return { p50: percentile(measured, 50), p99: percentile(measured, 99) }
  }
  const summaryCall = (query: string, expectedTotal: number) => async () => {
    const response = await client.request({
      path: `/api/usage/summary?from=${monthStart.toISOString()}&to=${monthEnd.toISOString()}&${query}`,
      method: 'GET',
      headers: { [INTERNAL_CONTEXT_HEADER]: context },
    })
    const body = (await response.body.json()) as { buckets: { count: number }[] }
    const total = body.buckets.reduce((sum, bucket) => sum + bucket.count, 0)
    if (response.statusCode !== 200 || total !== expectedTotal)
      throw new Error(`summary: ${response.statusCode} ${total}`)
  }
  const daily = await timed(300, summaryCall('metric=api.request&granularity=day', SUMMARY_EVENTS * 0.9))
  const monthly = await timed(300, summaryCall('granularity=month&groupBy=key', SUMMARY_EVENTS))
  const hourly = await timed(100, summaryCall('granularity=hour&groupBy=key', SUMMARY_EVENTS))
  const monthToDate = await timed(300, async () => {
    const response = await client.request({
      path: '/internal/usage/month-to-date',
      method: 'POST',
      headers: { 'content-type': 'application/json', [SERVICE_TOKEN_HEADER]: await serviceToken() },
      body: JSON.stringify({ tenantIds: [...tenants, ...Array.from({ length: 800 }, () => randomUUID())] }),
    })
    const body = (await response.body.json()) as { usage: unknown[] }
    if (response.statusCode !== 200 || body.usage.length !== 1000) throw new Error('month-to-date failed')
  })
  await client.close()

  const median = (values: number[]) => percentile(values, 50)
  const f = (n: number) => n.toFixed(0).padStart(7)
  const lines = [
    `metering bench: PostgreSQL, Node ${process.version}, ${cpus().length} CPUs, load average at the end ${loadavg()[0]!.toFixed(1)}`,
    `ingest: ${ROUNDS} alternating rounds of ${EVENTS_PER_ROUND} events per method, batches of ${BATCH}, ${SENDERS} concurrent senders, ${TENANTS} tenants; ${rows} events stored in the end`,
    '',
    '| ingest                                   | events/s (median) | rounds                      |',
    '|------------------------------------------|-------------------|-----------------------------|',
    `| HTTP POST /internal/usage-events         | ${f(median(http))}           | ${http.map(f).join(' ')} |`,
    `| COPY keys + events, rollup upsert (raw)  | ${f(median(copy))}           | ${copy.map(f).join(' ')} |`,
    '',
    `ratio HTTP / COPY: ${(median(http) / median(copy)).toFixed(2)} (goal >= 0.3); HTTP goal >= 20,000 events/s`,
    '',
    `summary of one tenant's month of ${SUMMARY_EVENTS} events (sequential calls through HTTP):`,
    `  by day, one metric:        p50 ${daily.p50.toFixed(2)} ms, p99 ${daily.p99.toFixed(2)} ms (goal p50 <= 20 ms)`,
    `  whole month, per key:      p50 ${monthly.p50.toFixed(2)} ms, p99 ${monthly.p99.toFixed(2)} ms`,
    `  by hour, per key (2,232):  p50 ${hourly.p50.toFixed(2)} ms, p99 ${hourly.p99.toFixed(2)} ms`,
    `month-to-date of 1,000 tenants (the gateway's call): p50 ${monthToDate.p50.toFixed(2)} ms, p99 ${monthToDate.p99.toFixed(2)} ms`,
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
} finally {
  await copier?.end({ timeout: 5 })
  await server?.close()
}
