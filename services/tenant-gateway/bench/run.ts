/**
 * `pnpm --filter tenant-gateway bench`: two upstream routes, each called directly and through the gateway with an
 * API key (key check + per-tenant rate limit + signed context + proxy), with autocannon: a no-op route (only HTTP
 * left: the gateway's worst case) and a one-row PostgreSQL read (the shape of what it fronts). Each at peak, then
 * both paths at 50% of the gateway's peak rate, once with autocannon's overallRate and once with an evenly paced
 * open-loop client; a bare @fastify/http-proxy and a minimal node:http + undici proxy on the no-op route as
 * references; then the usage stream's cost (bench/usage-sink.ts: the gateway with the metering sink posting to a
 * real metering against the discarding one); then cached key verification in-process. Upstream, gateways,
 * metering and reference proxies run in their own processes, on BENCH_DATABASE_URL's (else TEST_DATABASE_URL's)
 * PostgreSQL server when set.
 */
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { randomToken } from '@gatehouse/crypto'
import { createDb, migrateUp } from '@gatehouse/db-kit'
import { cpuProfileArgs } from '@gatehouse/service-kit/bench'
import autocannon from 'autocannon'
import { createKey, keyHasherOf } from '../src/keys/api-keys.ts'
import { TenantScopedCache } from '../src/keys/key-cache.ts'
import { createKeyVerifier, type VerifiedKey } from '../src/keys/key-verification.ts'
import { createTenant } from '../src/tenants/tenants.ts'
import { startChild as start } from './child.ts'
import { type PacedResult, pacedLoad } from './paced.ts'
import { measureUsageSink, reportUsageSink } from './usage-sink.ts'

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const SINK_ROUNDS = Number(process.env.BENCH_SINK_ROUNDS ?? 4)
const SINK_ROUND_S = Number(process.env.BENCH_SINK_ROUND_S ?? 5)

// BENCH_CPU_PROF=<dir>: the gateway writes a V8 CPU profile there when it stops.
const profile = cpuProfileArgs(process.env.BENCH_CPU_PROF)

interface Run {
  rps: number
  p50: number
  p99: number
  errors: number
  non2xx: number
}

async function load(
  url: string,
  headers: Record<string, string>,
  options: { duration: number; rate?: number },
): Promise<Run> {
  const result = await autocannon({
    url,
    headers,
    connections: CONNECTIONS,
    duration: options.duration,
    ...(options.rate ? { overallRate: Math.round(options.rate) } : {}),
  })
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  }
}

async function verificationRate(): Promise<number> {
  const db = await createDb({})
  await migrateUp(db, {
    migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
    service: 'tenant-gateway',
  })
  const hasher = keyHasherOf({ API_KEY_PEPPER: randomToken() })
  const tenant = await createTenant(db.db, 'bench', 'bench-user', new Date())
  const { key } = await createKey(
    db.db,
    hasher,
    tenant.id,
    { name: 'bench', scopes: [], expiresAt: null },
    new Date(),
  )
  const clock = () => new Date()
  const verifier = createKeyVerifier({
    db: db.db,
    hasher,
    cache: new TenantScopedCache<VerifiedKey>(60_000, clock),
    clock,
    acceptLegacy: true,
  })
  if (!(await verifier.verify(key)).valid) throw new Error('bench key does not verify')
  for (let i = 0; i < 20_000; i++) await verifier.verify(key)
  const n = 300_000
  const started = performance.now()
  for (let i = 0; i < n; i++) await verifier.verify(key)
  const rate = n / ((performance.now() - started) / 1000)
  await db.close()
  return rate
}

const ms = (value: number) => `${value.toFixed(2)} ms`
const upstream = await start<{ port: number; database: string }>('./upstream.ts')
const upstreamUrl = `http://127.0.0.1:${upstream.info.port}`
const gateway = await start<{ port: number; key: string; setup: string }>('./gateway.ts', {
  args: [upstreamUrl],
  execArgv: profile,
})
const bare = await start<{ port: number }>('./bare-proxy.ts', { args: [upstreamUrl] })
const raw = await start<{ port: number }>('./raw-proxy.ts', { args: [upstreamUrl] })
const gatewayBase = `http://127.0.0.1:${gateway.info.port}`
const withKey = { authorization: `Bearer ${gateway.info.key}` }

interface Figures {
  peakDirect: Run
  peakGateway: Run
  halfDirect: Run
  halfGateway: Run
  pacedDirect: PacedResult
  pacedGateway: PacedResult
}

/** The same upstream route directly and through the gateway: at peak, then both at 50% of the gateway's peak. */
async function measure(path: string): Promise<Figures> {
  const direct = `${upstreamUrl}${path}`
  const viaGateway = `${gatewayBase}${path}`
  await load(direct, {}, { duration: 2 })
  await load(viaGateway, withKey, { duration: 3 })
  const peakDirect = await load(direct, {}, { duration: DURATION_S })
  const peakGateway = await load(viaGateway, withKey, { duration: DURATION_S })
  const halfRate = peakGateway.rps / 2
  const paced = { rate: halfRate, durationS: DURATION_S, connections: CONNECTIONS }
  return {
    peakDirect,
    peakGateway,
    halfDirect: await load(direct, {}, { duration: DURATION_S, rate: halfRate }),
    halfGateway: await load(viaGateway, withKey, { duration: DURATION_S, rate: halfRate }),
    pacedDirect: await pacedLoad(direct, {}, paced),
    pacedGateway: await pacedLoad(viaGateway, withKey, paced),
  }
}

function report(title: string, f: Figures): string[] {
  const half = (f.peakGateway.rps / 2).toFixed(0)
  const row = (name: string, rps: number, p50: number, p99: number) =>
    `| ${name} | ${rps.toFixed(0)} | ${ms(p50)} | ${ms(p99)} |`
  return [
    `### ${title}`,
    '',
    '| run | req/s | p50 | p99 |',
    '|---|---|---|---|',
    row('direct, peak', f.peakDirect.rps, f.peakDirect.p50, f.peakDirect.p99),
    row('gateway + API key, peak', f.peakGateway.rps, f.peakGateway.p50, f.peakGateway.p99),
    row(`direct at ${half} req/s`, f.halfDirect.rps, f.halfDirect.p50, f.halfDirect.p99),
    row(
      `gateway at ${half} req/s (50% of its peak)`,
      f.halfGateway.rps,
      f.halfGateway.p50,
      f.halfGateway.p99,
    ),
    row(
      `direct, paced at ${half} req/s`,
      f.pacedDirect.sent / DURATION_S,
      f.pacedDirect.p50,
      f.pacedDirect.p99,
    ),
    row(
      `gateway, paced at ${half} req/s`,
      f.pacedGateway.sent / DURATION_S,
      f.pacedGateway.p50,
      f.pacedGateway.p99,
    ),
    '',
    `throughput ratio gateway/direct: ${(f.peakGateway.rps / f.peakDirect.rps).toFixed(2)} (goal >= 0.5)`,
    `added latency at peak: p50 +${ms(f.peakGateway.p50 - f.peakDirect.p50)}, p99 +${ms(f.peakGateway.p99 - f.peakDirect.p99)}`,
    `added latency at 50% of peak (autocannon overallRate): p50 +${ms(f.halfGateway.p50 - f.halfDirect.p50)}, p99 +${ms(f.halfGateway.p99 - f.halfDirect.p99)} (goal p99 <= 2 ms)`,
    `added latency at 50% of peak (paced): p50 +${ms(f.pacedGateway.p50 - f.pacedDirect.p50)}, p99 +${ms(f.pacedGateway.p99 - f.pacedDirect.p99)} (goal p99 <= 2 ms)`,
    '',
  ]
}

try {
  process.stdout.write(`${CONNECTIONS} connections, ${DURATION_S} s per run...\n`)
  const noop = await measure('/api/tasks')
  await load(`http://127.0.0.1:${bare.info.port}/api/tasks`, {}, { duration: 2 })
  const peakBare = await load(`http://127.0.0.1:${bare.info.port}/api/tasks`, {}, { duration: DURATION_S })
  bare.child.disconnect()
  await load(`http://127.0.0.1:${raw.info.port}/api/tasks`, {}, { duration: 2 })
  const peakRaw = await load(`http://127.0.0.1:${raw.info.port}/api/tasks`, {}, { duration: DURATION_S })
  raw.child.disconnect()
  const read = await measure('/api/tasks/4242')
  const sink = await measureUsageSink({
    discard: gateway,
    upstreamUrl,
    rounds: SINK_ROUNDS,
    roundS: SINK_ROUND_S,
    connections: CONNECTIONS,
  })
  const verifications = await verificationRate()

  const runs = [noop, read].flatMap((f) => [f.peakDirect, f.peakGateway, f.halfDirect, f.halfGateway])
  const failures =
    runs.reduce((n, r) => n + r.errors + r.non2xx, 0) +
    [noop, read].reduce((n, f) => n + f.pacedDirect.failed + f.pacedGateway.failed, 0) +
    [peakBare, peakRaw].reduce((n, r) => n + r.errors + r.non2xx, 0) +
    sink.failed
  const lines = [
    '',
    `tenant-gateway bench: gateway ${gateway.info.setup}; upstream database ${upstream.info.database}; node ${process.version}, ${cpus().length} CPUs, ${CONNECTIONS} connections, ${DURATION_S} s per run`,
    '',
    ...report('No-op upstream route (GET /api/tasks: a constant, only HTTP left)', noop),
    `references on the same route, peak: bare @fastify/http-proxy ${peakBare.rps.toFixed(0)} req/s (${(peakBare.rps / noop.peakDirect.rps).toFixed(2)} of direct; gateway/bare proxy ${(noop.peakGateway.rps / peakBare.rps).toFixed(2)}), minimal node:http + undici proxy ${peakRaw.rps.toFixed(0)} req/s (${(peakRaw.rps / noop.peakDirect.rps).toFixed(2)} of direct)`,
    '',
    ...report('One-row read upstream route (GET /api/tasks/:id: primary-key SELECT, prepared)', read),
    ...reportUsageSink(sink, SINK_ROUNDS, SINK_ROUND_S),
    `cached key verifications in-process: ${Math.round(verifications).toLocaleString('en-US')}/s (goal >= 100,000/s)`,
    `errors + non-2xx responses: ${failures}`,
    '',
  ]
  process.stdout.write(lines.join('\n'))
} finally {
  upstream.child.disconnect()
  gateway.child.disconnect()
  if (bare.child.connected) bare.child.disconnect()
  if (raw.child.connected) raw.child.disconnect()
}
