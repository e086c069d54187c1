/**
 * The usage stream's cost (issue 15): the gateway with USAGE_SINK=discard (the other rows' gateway) against a
 * second one with the metering sink posting to a real metering process (bench/metering.ts) on PostgreSQL, both
 * in front of the same upstream, on the no-op route, in alternating rounds (discard, metering, metering,
 * discard, ...) so the drift of a shared machine hits both alike. Then whether metering stored every event the
 * gateway answered.
 */
import type { ChildProcess } from 'node:child_process'
import { randomToken } from '@gatehouse/crypto'
import { ask, cpuMicrosOf as cpuOf, cpuRound, median } from '@gatehouse/service-kit/bench'
import { startChild } from './child.ts'

export interface BenchGateway {
  child: ChildProcess
  info: { port: number; key: string; setup: string }
}

interface Round {
  rps: number
  /** The gateway process's CPU time over the round per answered request. */
  cpuMicrosPerRequest: number
  completed: number
  sent: number
  failed: number
}

export interface UsageSinkFigures {
  setup: string
  meteringDatabase: string
  discard: { rps: number; cpuMicrosPerRequest: number }
  metering: { rps: number; cpuMicrosPerRequest: number }
  /** The metering sink posting to bench/metering-ack.ts: the gateway's own cost, with nothing else on the cores. */
  acknowledged: { rps: number; cpuMicrosPerRequest: number }
  /** metering's own CPU per stored event, on the same machine. */
  meteringCpuMicrosPerEvent: number
  /** Requests to the metering-sink gateway: answered as autocannon counts them, and sent (some cut at the end). */
  answered: { completed: number; sent: number }
  stored: { events: number; keys: number }
  /** The sink's backlog and drops once it had drained (or given up waiting, 30 s). */
  usage: { buffered: number; dropped: number }
  failed: number
}

async function round(gateway: BenchGateway, durationS: number, connections: number): Promise<Round> {
  const { result, rps, cpuMicrosPerRequest } = await cpuRound(
    {
      url: `http://127.0.0.1:${gateway.info.port}/api/tasks`,
      headers: { authorization: `Bearer ${gateway.info.key}` },
      connections,
      duration: durationS,
    },
    () => cpuOf(gateway.child),
  )
  return {
    rps,
    cpuMicrosPerRequest,
    completed: result.requests.total,
    sent: result.requests.sent,
    failed: result.errors + result.timeouts + result.non2xx,
  }
}

async function drainedUsage(port: number): Promise<{ buffered: number; dropped: number }> {
  const deadline = Date.now() + 30_000
  for (;;) {
    const ready = (await (await fetch(`http://127.0.0.1:${port}/ready`)).json()) as {
      usage: { buffered: number; dropped: number }
    }
    if (ready.usage.buffered === 0 || Date.now() > deadline) return ready.usage
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

export async function measureUsageSink(options: {
  discard: BenchGateway
  upstreamUrl: string
  rounds: number
  roundS: number
  connections: number
}): Promise<UsageSinkFigures> {
  const secret = randomToken()
  const metering = await startChild<{ port: number; database: string }>('./metering.ts', {
    env: { INTERNAL_SECRET: secret },
  })
  const withSink = await startChild<BenchGateway['info']>('./gateway.ts', {
    args: [options.upstreamUrl],
    env: {
      USAGE_SINK: 'metering',
      METERING_URL: `http://127.0.0.1:${metering.info.port}`,
      INTERNAL_SECRET: secret,
    },
  })
  const ack = await startChild<{ port: number }>('./metering-ack.ts')
  const withAckSink = await startChild<BenchGateway['info']>('./gateway.ts', {
    args: [options.upstreamUrl],
    env: {
      USAGE_SINK: 'metering',
      METERING_URL: `http://127.0.0.1:${ack.info.port}`,
      INTERNAL_SECRET: secret,
    },
  })
  try {
    const meteringCpuBefore = await cpuOf(metering.child)
    const rounds = { discard: [] as Round[], metering: [] as Round[], acknowledged: [] as Round[] }
    const gateways = { discard: options.discard, metering: withSink, acknowledged: withAckSink }
    // Warm-up rounds, not reported; the sink's events of them are counted as answered.
    const warmUp = await round(withSink, 2, options.connections)
    await round(withAckSink, 2, options.connections)
    await round(options.discard, 2, options.connections)
    const kinds = ['discard', 'metering', 'acknowledged'] as const
    for (let index = 0; index < options.rounds; index++) {
      // Rotated each round, so the drift of a shared machine hits all three alike.
      const order = [...kinds.slice(index % 3), ...kinds.slice(0, index % 3)]
      for (const which of order) {
        rounds[which].push(await round(gateways[which], options.roundS, options.connections))
      }
    }
    const usage = await drainedUsage(withSink.info.port)
    const stored = await ask<{ events: number; keys: number }>(metering.child, 'count')
    const meteringCpu = (await cpuOf(metering.child)) - meteringCpuBefore
    const sinkRounds = [warmUp, ...rounds.metering]
    const sum = (key: 'completed' | 'sent' | 'failed', of: Round[]) => of.reduce((n, r) => n + r[key], 0)
    const summary = (of: Round[]) => ({
      rps: median(of.map((r) => r.rps)),
      cpuMicrosPerRequest: median(of.map((r) => r.cpuMicrosPerRequest)),
    })
    return {
      setup: withSink.info.setup,
      meteringDatabase: metering.info.database,
      discard: summary(rounds.discard),
      metering: summary(rounds.metering),
      acknowledged: summary(rounds.acknowledged),
      meteringCpuMicrosPerEvent: meteringCpu / Math.max(stored.events, 1),
      answered: { completed: sum('completed', sinkRounds), sent: sum('sent', sinkRounds) },
      stored,
      usage,
      failed: sum('failed', [...sinkRounds, ...rounds.discard]),
    }
  } finally {
    withSink.child.disconnect()
    metering.child.disconnect()
    withAckSink.child.disconnect()
    ack.child.disconnect()
  }
}

export function reportUsageSink(f: UsageSinkFigures, rounds: number, roundS: number): string[] {
  const rpsRatio = f.metering.rps / f.discard.rps
  const cpuRatio = f.discard.cpuMicrosPerRequest / f.metering.cpuMicrosPerRequest
  const ownRpsRatio = f.acknowledged.rps / f.discard.rps
  const ownCpuRatio = f.discard.cpuMicrosPerRequest / f.acknowledged.cpuMicrosPerRequest
  const complete =
    f.stored.events >= f.answered.completed &&
    f.stored.events <= f.answered.sent &&
    f.stored.keys === f.stored.events
  return [
    `### Usage sink: discard vs metering (no-op route, ${rounds} rounds of ${roundS} s per gateway, rotated, medians)`,
    '',
    `metering-sink gateway: ${f.setup}; metering database ${f.meteringDatabase}`,
    '',
    '| gateway | req/s | gateway CPU per request |',
    '|---|---|---|',
    `| USAGE_SINK=discard | ${f.discard.rps.toFixed(0)} | ${f.discard.cpuMicrosPerRequest.toFixed(1)} µs |`,
    `| USAGE_SINK=metering (real metering, ${f.meteringDatabase}) | ${f.metering.rps.toFixed(0)} | ${f.metering.cpuMicrosPerRequest.toFixed(1)} µs |`,
    `| USAGE_SINK=metering, to a receiver that only acknowledges | ${f.acknowledged.rps.toFixed(0)} | ${f.acknowledged.cpuMicrosPerRequest.toFixed(1)} µs |`,
    '',
    `the gateway's own cost of the stream (acknowledging receiver / discard): throughput ${ownRpsRatio.toFixed(3)}, CPU per request ${ownCpuRatio.toFixed(3)} (goal >= 0.90)`,
    `with a real metering on the same 2 cores (metering/discard): throughput ${rpsRatio.toFixed(3)}, CPU per request ${cpuRatio.toFixed(3)} (metering and PostgreSQL take cores the gateway and the load generator share)`,
    `metering's own CPU per stored event: ${f.meteringCpuMicrosPerEvent.toFixed(1)} µs (on the same machine)`,
    `stored api.request events: ${f.stored.events} (${f.stored.keys} distinct keys) for ${f.answered.completed} answered` +
      ` (${f.answered.sent} sent); sink backlog ${f.usage.buffered}, dropped ${f.usage.dropped}: ${complete ? 'complete' : 'INCOMPLETE'}`,
    '',
  ]
}
