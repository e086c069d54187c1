/**
 * `pnpm --filter @gatehouse/service-kit bench`: what metrics, load shedding and the OpenAPI document cost a
 * request. The same service with and without them (bench/platform-server.ts, one process), loaded by autocannon
 * from this one in alternating short rounds (off, on, on, off, ...), so drift on a shared machine hits both alike.
 * The figure is the server's CPU time per request (its process's CPU time over a round / requests answered),
 * which other load on the machine barely moves; req/s are shown beside it. BENCH_ROUNDS (default 6 pairs), BENCH_ROUND_S (default 4 s),
 * BENCH_CONNECTIONS (default 50).
 */
import { fork } from 'node:child_process'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { cpuMicrosOf, cpuRound, median } from '../src/bench/index.ts'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6)
const ROUND_S = Number(process.env.BENCH_ROUND_S ?? 4)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)

const child = fork(fileURLToPath(new URL('./platform-server.ts', import.meta.url)), [], {
  execArgv: ['--import', 'tsx'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
})
const ports = await new Promise<{ off: number; on: number }>((resolve) =>
  child.once('message', resolve as never),
)

interface Round {
  rps: number
  cpuMicrosPerRequest: number
}

async function round(port: number, path: string, duration: number): Promise<Round> {
  const { result, rps, cpuMicrosPerRequest } = await cpuRound(
    { url: `http://127.0.0.1:${port}${path}`, connections: CONNECTIONS, duration },
    () => cpuMicrosOf(child),
  )
  if (result.errors + result.timeouts > 0) throw new Error(`errors on :${port}${path}`)
  return { rps, cpuMicrosPerRequest }
}

process.stdout.write(
  `service-kit platform overhead: node ${process.version}, ${cpus().length} CPUs, ${CONNECTIONS} connections, ` +
    `${ROUNDS} pairs of ${ROUND_S} s rounds, alternating\n\n`,
)
for (const [label, path] of [
  ['200 with a response schema', '/api/tasks/abc'],
  ['404 problem (a defineErrors code)', '/api/tasks/missing'],
] as const) {
  await round(ports.off, path, 2)
  await round(ports.on, path, 2)
  const off: Round[] = []
  const on: Round[] = []
  for (let index = 0; index < ROUNDS; index++) {
    const order = index % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)
    for (const which of order) (which === 'off' ? off : on).push(await round(ports[which], path, ROUND_S))
  }
  const cpuOff = median(off.map((r) => r.cpuMicrosPerRequest))
  const cpuOn = median(on.map((r) => r.cpuMicrosPerRequest))
  const ratio = cpuOff / cpuOn
  process.stdout.write(
    `${label}:\n` +
      `  server CPU per request (median): without ${cpuOff.toFixed(1)} µs, with ${cpuOn.toFixed(1)} µs -> ` +
      `throughput ratio on a core of its own ${ratio.toFixed(3)} (cost ${((1 - ratio) * 100).toFixed(1)}%)\n` +
      `  req/s (median, shared machine): without ${Math.round(median(off.map((r) => r.rps)))}, ` +
      `with ${Math.round(median(on.map((r) => r.rps)))}\n` +
      `  µs/request by round, without: ${off.map((r) => r.cpuMicrosPerRequest.toFixed(1)).join(', ')}\n` +
      `  µs/request by round, with:    ${on.map((r) => r.cpuMicrosPerRequest.toFixed(1)).join(', ')}\n`,
  )
}
child.disconnect()
