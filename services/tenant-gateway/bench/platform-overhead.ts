/**
 * `pnpm --filter @gatehouse/tenant-gateway bench:platform`: what service-kit's metrics and load shedding cost the
 * gateway. Two gateways (bench/gateway.ts, each its own process: one as a server builds it, one with
 * BENCH_PLATFORM=off) in front of one upstream (bench/upstream.ts), loaded with an API key on the no-op route in
 * alternating rounds (off, on, on, off, ...), so the drift of a shared machine hits both alike. The figure is each
 * gateway's CPU time per proxied request (its process's CPU over a round / requests answered), which other load on
 * the machine barely moves; req/s are shown beside it. BENCH_ROUNDS (default 6 pairs), BENCH_ROUND_S (default 5),
 * BENCH_CONNECTIONS (default 50); BENCH_DATABASE_URL as for bench/run.ts.
 */
import { cpus } from 'node:os'
import { cpuMicrosOf, cpuRound, median } from '@gatehouse/service-kit/bench'
import { startChild } from './child.ts'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6)
const ROUND_S = Number(process.env.BENCH_ROUND_S ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)

const start = <T>(file: string, args: string[], env: Record<string, string> = {}) =>
  startChild<T>(file, { args, env })

type Gateway = Awaited<ReturnType<typeof start<{ port: number; key: string; setup: string }>>>

async function round(gateway: Gateway, duration: number) {
  const { result, rps, cpuMicrosPerRequest } = await cpuRound(
    {
      url: `http://127.0.0.1:${gateway.info.port}/api/tasks`,
      headers: { authorization: `Bearer ${gateway.info.key}` },
      connections: CONNECTIONS,
      duration,
    },
    () => cpuMicrosOf(gateway.child),
  )
  if (result.errors + result.timeouts + result.non2xx > 0) throw new Error('failed requests')
  return { rps, cpuMicrosPerRequest }
}

const upstream = await start<{ port: number }>('./upstream.ts', [])
const upstreamUrl = `http://127.0.0.1:${upstream.info.port}`
const gateways = {
  off: await start<{ port: number; key: string; setup: string }>('./gateway.ts', [upstreamUrl], {
    BENCH_PLATFORM: 'off',
  }),
  on: await start<{ port: number; key: string; setup: string }>('./gateway.ts', [upstreamUrl]),
}
process.stdout.write(
  `gateway platform overhead: node ${process.version}, ${cpus().length} CPUs, ${CONNECTIONS} connections, ` +
    `${ROUNDS} pairs of ${ROUND_S} s rounds, alternating; ${gateways.on.info.setup} / ${gateways.off.info.setup}\n`,
)
await round(gateways.off, 2)
await round(gateways.on, 2)
const results = {
  off: [] as Awaited<ReturnType<typeof round>>[],
  on: [] as Awaited<ReturnType<typeof round>>[],
}
for (let index = 0; index < ROUNDS; index++) {
  for (const which of index % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
    results[which].push(await round(gateways[which], ROUND_S))
  }
}
const cpu = (which: 'off' | 'on') => median(results[which].map((r) => r.cpuMicrosPerRequest))
const rps = (which: 'off' | 'on') => Math.round(median(results[which].map((r) => r.rps)))
const ratio = cpu('off') / cpu('on')
process.stdout.write(
  `gateway CPU per proxied request (median): without ${cpu('off').toFixed(1)} µs, with ${cpu('on').toFixed(1)} µs -> ` +
    `throughput ratio on a core of its own ${ratio.toFixed(3)} (cost ${((1 - ratio) * 100).toFixed(1)}%)\n` +
    `req/s (median, shared machine): without ${rps('off')}, with ${rps('on')} (ratio ${(rps('on') / rps('off')).toFixed(3)})\n` +
    `µs/request by round, without: ${results.off.map((r) => r.cpuMicrosPerRequest.toFixed(1)).join(', ')}\n` +
    `µs/request by round, with:    ${results.on.map((r) => r.cpuMicrosPerRequest.toFixed(1)).join(', ')}\n` +
    `req/s by round, without: ${results.off.map((r) => Math.round(r.rps)).join(', ')}\n` +
    `req/s by round, with:    ${results.on.map((r) => Math.round(r.rps)).join(', ')}\n`,
)
for (const child of [upstream.child, gateways.off.child, gateways.on.child]) child.disconnect()
