/**
 * `pnpm --filter tenant-gateway bench`: the same hello route called directly and through the gateway with an API
 * key (auth + rate limit + signed context + proxy), with autocannon; then both again at 50% of the gateway's peak
 * rate, once with autocannon's overallRate and once with an evenly paced open-loop client; then cached key
 * verification in-process. Upstream, gateway and a bare @fastify/http-proxy (the ceiling any proxy built on it
 * has on this machine) run in their own processes.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { randomToken } from '@gatehouse/crypto'
import { createDb, migrateUp } from '@gatehouse/db-kit'
import autocannon from 'autocannon'
import { createKey, keyHasherOf } from '../src/api-keys.ts'
import { TenantScopedCache } from '../src/key-cache.ts'
import { createKeyVerifier, type VerifiedKey } from '../src/key-verification.ts'
import { createTenant } from '../src/tenants.ts'
import { pacedLoad } from './paced.ts'

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)

function start<T>(file: string, args: string[] = []): Promise<{ child: ChildProcess; info: T }> {
  const child = fork(fileURLToPath(new URL(file, import.meta.url)), args, {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, TEST_DATABASE_URL: process.env.BENCH_DATABASE_URL ?? '' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  return new Promise((resolve, reject) => {
    child.once('message', (info) => resolve({ child, info: info as T }))
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)))
  })
}

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
const upstream = await start<{ port: number }>('./upstream.ts')
const upstreamUrl = `http://127.0.0.1:${upstream.info.port}`
const gateway = await start<{ port: number; key: string; setup: string }>('./gateway.ts', [upstreamUrl])
const bare = await start<{ port: number }>('./bare-proxy.ts', [upstreamUrl])
const direct = `${upstreamUrl}/api/tasks`
const viaBareProxy = `http://127.0.0.1:${bare.info.port}/api/tasks`
const viaGateway = `http://127.0.0.1:${gateway.info.port}/api/tasks`
const withKey = { authorization: `Bearer ${gateway.info.key}` }

try {
  process.stdout.write(`warming up (${CONNECTIONS} connections, ${DURATION_S} s per run)...\n`)
  await load(direct, {}, { duration: 2 })
  await load(viaGateway, withKey, { duration: 3 })

  const peakDirect = await load(direct, {}, { duration: DURATION_S })
  const peakGateway = await load(viaGateway, withKey, { duration: DURATION_S })
  await load(viaBareProxy, {}, { duration: 2 })
  const peakBare = await load(viaBareProxy, {}, { duration: DURATION_S })
  bare.child.disconnect()
  const halfRate = peakGateway.rps / 2
  const halfDirect = await load(direct, {}, { duration: DURATION_S, rate: halfRate })
  const halfGateway = await load(viaGateway, withKey, { duration: DURATION_S, rate: halfRate })
  const paced = { rate: halfRate, durationS: DURATION_S, connections: CONNECTIONS }
  const pacedDirect = await pacedLoad(direct, {}, paced)
  const pacedGateway = await pacedLoad(viaGateway, withKey, paced)
  const verifications = await verificationRate()

  const failures = [peakDirect, peakGateway, halfDirect, halfGateway].reduce(
    (n, r) => n + r.errors + r.non2xx,
    0,
  )
  const lines = [
    '',
    `tenant-gateway bench: ${gateway.info.setup}; node ${process.version}, ${cpus().length} CPUs, ${CONNECTIONS} connections, ${DURATION_S} s per run`,
    '',
    '| run | req/s | p50 | p99 |',
    '|---|---|---|---|',
    `| direct, peak | ${peakDirect.rps.toFixed(0)} | ${ms(peakDirect.p50)} | ${ms(peakDirect.p99)} |`,
    `| gateway + API key, peak | ${peakGateway.rps.toFixed(0)} | ${ms(peakGateway.p50)} | ${ms(peakGateway.p99)} |`,
    `| bare @fastify/http-proxy (reference), peak | ${peakBare.rps.toFixed(0)} | ${ms(peakBare.p50)} | ${ms(peakBare.p99)} |`,
    `| direct at ${halfRate.toFixed(0)} req/s | ${halfDirect.rps.toFixed(0)} | ${ms(halfDirect.p50)} | ${ms(halfDirect.p99)} |`,
    `| gateway at ${halfRate.toFixed(0)} req/s (50% of its peak) | ${halfGateway.rps.toFixed(0)} | ${ms(halfGateway.p50)} | ${ms(halfGateway.p99)} |`,
    `| direct, paced at ${halfRate.toFixed(0)} req/s | ${(pacedDirect.sent / DURATION_S).toFixed(0)} | ${ms(pacedDirect.p50)} | ${ms(pacedDirect.p99)} |`,
    `| gateway, paced at ${halfRate.toFixed(0)} req/s | ${(pacedGateway.sent / DURATION_S).toFixed(0)} | ${ms(pacedGateway.p50)} | ${ms(pacedGateway.p99)} |`,
    '',
    `throughput ratio gateway/direct: ${(peakGateway.rps / peakDirect.rps).toFixed(2)} (goal >= 0.5); gateway/bare proxy: ${(peakGateway.rps / peakBare.rps).toFixed(2)}`,
    `added latency at peak: p50 +${ms(peakGateway.p50 - peakDirect.p50)}, p99 +${ms(peakGateway.p99 - peakDirect.p99)}`,
    `added latency at 50% of peak (autocannon overallRate): p50 +${ms(halfGateway.p50 - halfDirect.p50)}, p99 +${ms(halfGateway.p99 - halfDirect.p99)} (goal p99 <= 2 ms)`,
    `added latency at 50% of peak (paced): p50 +${ms(pacedGateway.p50 - pacedDirect.p50)}, p99 +${ms(pacedGateway.p99 - pacedDirect.p99)} (goal p99 <= 2 ms)`,
    `cached key verifications in-process: ${Math.round(verifications).toLocaleString('en-US')}/s (goal >= 100,000/s)`,
    `errors + non-2xx responses: ${failures}`,
    '',
  ]
  process.stdout.write(lines.join('\n'))
} finally {
  upstream.child.disconnect()
  gateway.child.disconnect()
  if (bare.child.connected) bare.child.disconnect()
}
