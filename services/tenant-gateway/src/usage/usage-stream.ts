import type { ServiceMetrics } from '@gatehouse/service-kit'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'
import { createMeteringSink, type MeteringSinkOptions, type MeteringSinkStats } from './metering-sink.ts'
import { discardUsage, type UsageSink } from './usage-sink.ts'

/** A sink that can say what it holds and what it gave up (the metering sink). */
type CountingSink = UsageSink & { stats(): MeteringSinkStats }

/** Below bootService's 10 s shutdown bound, so the last batch is tried before the process is forced out. */
const CLOSE_TIMEOUT_MS = 8_000

/** USAGE_SINK: the metering sink by default, or `discard` (tests and setups without metering). */
export function usageSinkOf(
  config: Config,
  log: FastifyBaseLogger,
  quotaHooks: Pick<MeteringSinkOptions, 'onSettled' | 'lane'> = {},
): UsageSink {
  if (config.USAGE_SINK === 'discard') return discardUsage
  return createMeteringSink({
    url: String(config.upstreamUrls.metering),
    internalSecret: config.INTERNAL_SECRET,
    log,
    maxBuffered: config.USAGE_BUFFER_MAX,
    batchSize: config.USAGE_BATCH_SIZE,
    intervalMs: config.USAGE_FLUSH_INTERVAL_MS,
    closeTimeoutMs: CLOSE_TIMEOUT_MS,
    ...quotaHooks,
  })
}

function isCounting(sink: UsageSink): sink is CountingSink {
  return typeof (sink as Partial<CountingSink>).stats === 'function'
}

/**
 * Adds `usage: { buffered, dropped }` to the gateway's /ready answer. Information only: a backlog or drops never
 * make the gateway unready, since metering being down must not take client traffic away.
 */
export const usageReadiness = fp(
  async (app: FastifyInstance, { sink }: { sink: UsageSink }) => {
    if (!isCounting(sink)) return
    app.addHook('preSerialization', async (request, _reply, payload) => {
      if (request.routeOptions.url !== '/ready' || payload === null || typeof payload !== 'object')
        return payload
      const { buffered, dropped } = sink.stats()
      return { ...payload, usage: { buffered, dropped } }
    })
  },
  { name: 'tenant-gateway-usage-readiness', fastify: '5.x' },
)

/**
 * `gateway_usage_buffered` and `gateway_usage_dropped` (issue 10: the usage buffer's depth and drops), read from the
 * sink when /metrics is scraped. `dropped` only grows, but it is the sink's own total, so it is exported as a gauge.
 */
export function exportUsageMetrics(metrics: ServiceMetrics, sink: UsageSink): void {
  if (!isCounting(sink)) return
  const buffered = metrics.gauge(
    'gateway_usage_buffered',
    'Usage events waiting for metering, in flight included.',
  )
  const dropped = metrics.gauge('gateway_usage_dropped', 'Usage events given up since start (never billed).')
  // prom-client calls a metric's `collect` on every scrape (its constructor option, set here after the fact).
  Object.assign(buffered, { collect: () => buffered.set(sink.stats().buffered) })
  Object.assign(dropped, { collect: () => dropped.set(sink.stats().dropped) })
}
