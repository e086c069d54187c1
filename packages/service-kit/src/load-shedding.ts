import underPressure from '@fastify/under-pressure'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { ServiceError, sendServiceError } from './errors.ts'
import type { LoadSheddingSettings } from './platform-settings.ts'

export interface LoadState {
  overloaded: boolean
  /** Mean event-loop delay over the last sample, beyond the 10 ms sampling resolution. */
  eventLoopDelayMs: number
  /** Share of the last sample the event loop was busy (0..1). */
  eventLoopUtilization: number
}

export interface LoadGauge {
  overloaded(): boolean
  state(): LoadState
}

/** How many samples in a row must pass a threshold before load is shed. */
export const SUSTAINED_SAMPLES = 2

declare module 'fastify' {
  interface FastifyInstance {
    load: LoadGauge
  }
}

/**
 * Load shedding: @fastify/under-pressure samples the event loop (delay and utilization, once per
 * `sampleIntervalMs`); while a threshold is passed (two samples in a row) every request is answered at once with 503
 * `<PREFIX>_OVERLOADED` and Retry-After instead of queueing behind the backlog. Routes with
 * `config: { loadShedding: false }` (liveness, readiness, /metrics) are always served: /ready reports the state
 * itself, so a load balancer moves traffic away while liveness stays green and nothing restarts the service.
 */
export const loadShedding = fp(
  async (app: FastifyInstance, settings: LoadSheddingSettings) => {
    const shed = app.metrics.counter(
      'gatehouse_load_shed_total',
      'Requests refused with 503 while overloaded.',
    )
    const refusal = new ServiceError(
      'OVERLOADED',
      503,
      'Service overloaded',
      'The service is shedding load; retry shortly.',
    ).withHeaders({ 'retry-after': String(settings.retryAfterSeconds) })
    // Only under-pressure's sampler (no thresholds given to it, so no hook of its own): its per-request check
    // builds request.routeOptions on every request; ours reads one boolean, refreshed with each sample.
    await app.register(underPressure, {
      sampleInterval: settings.sampleIntervalMs,
      eventLoopUtilizationMode: 'interval',
    })
    const maxDelay = settings.maxEventLoopDelayMs
    const maxUtilization = settings.maxEventLoopUtilization
    const measure = () => {
      const { eventLoopDelay, eventLoopUtilized } = app.memoryUsage()
      return (
        (maxDelay > 0 && eventLoopDelay > maxDelay) ||
        (maxUtilization > 0 && eventLoopUtilized > maxUtilization)
      )
    }
    // Two samples in a row past a threshold: one long pause (the schema compile at start, a major GC, a burst) is
    // not load, and answering 503 to the first requests after start would be wrong. Counted from ready on.
    let samplesOver = 0
    let overloaded = false
    let timer: NodeJS.Timeout | undefined
    app.addHook('onReady', async () => {
      timer = setInterval(() => {
        samplesOver = measure() ? samplesOver + 1 : 0
        overloaded = samplesOver >= SUSTAINED_SAMPLES
      }, settings.sampleIntervalMs)
      timer.unref()
    })
    app.addHook('onClose', async () => clearInterval(timer))
    app.decorate('load', {
      overloaded: () => overloaded,
      state() {
        const { eventLoopDelay, eventLoopUtilized } = app.memoryUsage()
        return {
          overloaded,
          // Infinity (null in JSON): the loop was blocked for a whole sample, so nothing could be measured.
          eventLoopDelayMs: Number.isFinite(eventLoopDelay)
            ? Math.round(eventLoopDelay * 100) / 100
            : Infinity,
          eventLoopUtilization: Math.round(eventLoopUtilized * 1000) / 1000,
        }
      },
    } satisfies LoadGauge)
    if (maxDelay === 0 && maxUtilization === 0) return
    app.addHook('onRequest', (request, reply, done) => {
      if (!overloaded || request.routeOptions.config.loadShedding === false) return done()
      shed.inc()
      sendServiceError(reply, refusal)
    })
  },
  { name: 'gatehouse-load-shedding', fastify: '5.x' },
)
