import autocannon from 'autocannon'

/** Requests per second over the whole run (autocannon's `requests.average` is the mean of its samples). */
export function requestsPerSecond(result: autocannon.Result): number {
  return result.requests.total / result.duration
}

/**
 * An autocannon run that must succeed: throws when any request failed (non-2xx, error, timeout) or, with
 * `expectStatus`, when none answered that status.
 */
export async function cannon(
  name: string,
  options: autocannon.Options,
  expectStatus?: number,
): Promise<autocannon.Result> {
  // A 100 ms sample interval: the run ends (and its duration is known) to 0.1 s, not to the next whole second.
  const result = await autocannon({ sampleInt: 100, ...options })
  const wrong = result.non2xx + result.errors + result.timeouts
  const expected =
    expectStatus === undefined ? 1 : (result.statusCodeStats?.[`${expectStatus}` as `${number}`]?.count ?? 0)
  if (wrong > 0 || expected === 0) {
    throw new Error(`${name}: ${wrong} failed requests (${JSON.stringify(result.statusCodeStats)})`)
  }
  return result
}

export interface CpuRound {
  result: autocannon.Result
  /** autocannon's mean of its per-second samples. */
  rps: number
  /** The server process's CPU time over the round per answered request. */
  cpuMicrosPerRequest: number
}

/** One autocannon round against a server whose CPU time (µs) `cpuMicros()` reads before and after it. */
export async function cpuRound(
  options: autocannon.Options,
  cpuMicros: () => Promise<number>,
): Promise<CpuRound> {
  const before = await cpuMicros()
  const result = await autocannon(options)
  const cpu = (await cpuMicros()) - before
  return { result, rps: result.requests.average, cpuMicrosPerRequest: cpu / result.requests.total }
}
