import { Pool } from 'undici'

export interface PacedResult {
  sent: number
  failed: number
  p50: number
  p99: number
}

/**
 * Open-loop load at a steady rate (requests spread over every millisecond, not sent in per-second bursts as
 * autocannon's overallRate does), latency per request in microseconds from just before it is sent.
 */
export async function pacedLoad(
  url: string,
  headers: Record<string, string>,
  options: { rate: number; durationS: number; connections: number },
): Promise<PacedResult> {
  const target = new URL(url)
  const pool = new Pool(target.origin, { connections: options.connections, pipelining: 1 })
  const latencies: number[] = []
  let failed = 0
  const inFlight = new Set<Promise<void>>()
  const intervalNs = 1e9 / options.rate
  const start = process.hrtime.bigint()
  const end = start + BigInt(Math.round(options.durationS * 1e9))
  let sent = 0
  const fire = () => {
    const began = process.hrtime.bigint()
    const request = pool
      .request({ path: target.pathname, method: 'GET', headers })
      .then(async (response) => {
        await response.body.dump()
        if (response.statusCode !== 200) failed += 1
        latencies.push(Number(process.hrtime.bigint() - began) / 1e6)
      })
      .catch(() => {
        failed += 1
      })
      .finally(() => inFlight.delete(request))
    inFlight.add(request)
  }
  for (;;) {
    const now = process.hrtime.bigint()
    if (now >= end) break
    const due = Math.floor(Number(now - start) / intervalNs) + 1
    while (sent < due) {
      fire()
      sent += 1
    }
    // A 1 ms timer, not a busy loop: the load generator must not take a core from the gateway.
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  await Promise.all(inFlight)
  await pool.close()
  latencies.sort((a, b) => a - b)
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN
  return { sent, failed, p50: at(0.5), p99: at(0.99) }
}
