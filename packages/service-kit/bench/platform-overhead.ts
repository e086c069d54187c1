/**
 * `pnpm --filter @gatehouse/service-kit bench`: what metrics, load shedding and the OpenAPI document cost a
 * request. The same service with and without them (bench/platform-server.ts, one process), loaded by autocannon
 * from this one in alternating short rounds (off, on, on, off, ...), so drift on a shared machine hits both alike;
 * the ratio of the medians is the figure. BENCH_ROUNDS (default 6 pairs), BENCH_ROUND_S (default 4 s),
 * BENCH_CONNECTIONS (default 50).
 */
import { fork } from 'node:child_process'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'

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

async function rate(port: number, path: string, duration: number): Promise<number> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    connections: CONNECTIONS,
    duration,
  })
  if (result.errors + result.timeouts > 0) throw new Error(`errors on :${port}${path}`)
  return result.requests.average
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

process.stdout.write(
  `service-kit platform overhead: node ${process.version}, ${cpus().length} CPUs, ${CONNECTIONS} connections, ` +
    `${ROUNDS} pairs of ${ROUND_S} s rounds, alternating\n\n`,
)
for (const [label, path] of [
  ['200 with a response schema', '/api/tasks/abc'],
  ['404 problem (a defineErrors code)', '/api/tasks/missing'],
] as const) {
  await rate(ports.off, path, 2)
  await rate(ports.on, path, 2)
  const off: number[] = []
  const on: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)
    for (const which of order) (which === 'off' ? off : on).push(await rate(ports[which], path, ROUND_S))
  }
  const ratio = median(on) / median(off)
  process.stdout.write(
    `${label}: without ${Math.round(median(off))} req/s, with ${Math.round(median(on))} req/s (medians), ` +
      `ratio ${ratio.toFixed(3)} (cost ${((1 - ratio) * 100).toFixed(1)}%)\n` +
      `  rounds without: ${off.map(Math.round).join(', ')}\n  rounds with:    ${on.map(Math.round).join(', ')}\n`,
  )
}
child.disconnect()
