/**
 * `BENCH_BASELINE_DIR=<checkout> pnpm --filter @gatehouse/tenant-gateway bench:compare`: this tree's gateway
 * against another checkout's (an older commit, installed), back to back in one process tree. Both run their own
 * bench/gateway.ts in front of one upstream (this tree's bench/upstream.ts) and are loaded with an API key on the
 * no-op route in alternating rounds, so the drift of a shared machine hits both alike; the head is also run with
 * BENCH_PLATFORM=off (no metrics, no load shedding). Reported: req/s and each gateway's CPU time per request, read
 * from /proc (the older bench/gateway.ts answers no questions). BENCH_ROUNDS (default 6), BENCH_ROUND_S (default 5),
 * BENCH_CONNECTIONS (default 50); BENCH_DATABASE_URL as for bench/run.ts.
 */
import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { median } from '@gatehouse/service-kit/bench'
import autocannon from 'autocannon'
import { startChild } from './child.ts'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6)
const ROUND_S = Number(process.env.BENCH_ROUND_S ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const baselineDir = process.env.BENCH_BASELINE_DIR
if (!baselineDir) throw new Error('set BENCH_BASELINE_DIR to the checkout to compare with')

type GatewayInfo = { port: number; key: string; setup: string }
const TICKS_PER_SECOND = 100

/** utime + stime of a process, in microseconds (Linux /proc; fields 14 and 15). */
function cpuMicrosOf(child: ChildProcess): number {
  const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / TICKS_PER_SECOND
}

async function round(gateway: { child: ChildProcess; info: GatewayInfo }, duration: number) {
  const before = cpuMicrosOf(gateway.child)
  const result = await autocannon({
    url: `http://127.0.0.1:${gateway.info.port}/api/tasks`,
    headers: { authorization: `Bearer ${gateway.info.key}` },
    connections: CONNECTIONS,
    duration,
  })
  if (result.errors + result.timeouts + result.non2xx > 0) throw new Error('failed requests')
  return {
    requests: result.requests.total,
    rps: result.requests.average,
    cpuMicros: (cpuMicrosOf(gateway.child) - before) / result.requests.total,
  }
}

// BENCH_CPU_PROF=<dir>: each gateway writes a V8 CPU profile there when it stops.
const execArgv = process.env.BENCH_CPU_PROF
  ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
  : []
const upstream = await startChild<{ port: number }>('./upstream.ts')
const upstreamUrl = `http://127.0.0.1:${upstream.info.port}`
const gatewayOf = (dir: string) => pathToFileURL(join(dir, 'services/tenant-gateway/bench/gateway.ts')).href
// BENCH_HEAD_DIR=<checkout>: compare two other checkouts (this tree only runs the upstream and the load).
const headDir = process.env.BENCH_HEAD_DIR
const gateways: Record<string, { child: ChildProcess; info: GatewayInfo }> = {
  baseline: await startChild<GatewayInfo>(gatewayOf(baselineDir), { args: [upstreamUrl], execArgv }),
  head: await startChild<GatewayInfo>(headDir ? gatewayOf(headDir) : './gateway.ts', {
    args: [upstreamUrl],
    execArgv,
  }),
}
if (!headDir) {
  gateways['head, platform off'] = await startChild<GatewayInfo>('./gateway.ts', {
    args: [upstreamUrl],
    execArgv,
    env: { BENCH_PLATFORM: 'off' },
  })
}
type Which = string
const order = Object.keys(gateways)
process.stdout.write(
  `gateway: ${headDir ?? 'this tree'} against ${baselineDir}; node ${process.version}, ${cpus().length} CPUs, ${CONNECTIONS} ` +
    `connections, ${ROUNDS} rounds of ${ROUND_S} s each, order rotated per round\n` +
    order.map((which) => `  ${which}: ${gateways[which]!.info.setup}`).join('\n') +
    '\n',
)
for (const which of order) await round(gateways[which]!, 2)
const results = Object.fromEntries(order.map((which) => [which, [] as Awaited<ReturnType<typeof round>>[]]))
for (let index = 0; index < ROUNDS; index++) {
  const rotated = [...order.slice(index % order.length), ...order.slice(0, index % order.length)]
  for (const which of rotated) results[which]!.push(await round(gateways[which]!, ROUND_S))
}
const base = results.baseline!
const rps = (which: Which) => median(results[which]!.map((r) => r.rps))
const cpu = (which: Which) => median(results[which]!.map((r) => r.cpuMicros))
process.stdout.write(
  '\n| gateway | req/s (median) | vs baseline | CPU µs/request (median) | vs baseline |\n|---|---|---|---|---|\n',
)
for (const which of order) {
  process.stdout.write(
    `| ${which} | ${Math.round(rps(which))} | ${(rps(which) / median(base.map((r) => r.rps))).toFixed(3)} | ` +
      `${cpu(which).toFixed(1)} | ${(cpu(which) / median(base.map((r) => r.cpuMicros))).toFixed(3)} |\n`,
  )
}
for (const which of order) {
  const total = results[which]!.reduce((sum, r) => sum + r.requests, 0)
  process.stdout.write(
    `${which}: ${total} requests; by round: ${results[which]!.map((r) => `${Math.round(r.rps)}/${r.cpuMicros.toFixed(0)}µs`).join(', ')}\n`,
  )
}
for (const { child } of [upstream, ...Object.values(gateways)]) child.disconnect()
