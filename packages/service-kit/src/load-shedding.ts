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

declare module 'fastify' {
  interface FastifyInstance {
    load: LoadGauge
  }
}

/**
 * Load shedding: @fastify/under-pressure samples the event loop (delay and utilization, once per
 * `sampleIntervalMs`); while a threshold is passed every request is answered at once with 503
 * `<PREFIX>_OVERLOADED` and Retry-After instead of queueing behind the backlog. Routes with
 * `config: { loadShedding: false }` (liveness, readiness, /metrics) are always served: /ready reports the state
 * itself, so a load balancer moves traffic away while liveness stays green and nothing restarts the service.
 */
export const loadShedding = fp(
  async (app: FastifyInstance, settings: LoadSheddingSettings) => {
    const shed = app.hasDecorator('metrics')
      ? app.metrics.counter('gatehouse_load_shed_total', 'Requests refused with 503 while overloaded.')
      : undefined
    const refusal = new ServiceError(
      'OVERLOADED',
      503,
      'Service overloaded',
      'The service is shedding load; retry shortly.',
    ).withHeaders({ 'retry-after': String(settings.retryAfterSeconds) })
    // under-pressure checks its thresholds on every request (a few comparisons) and calls this only past one.
    await app.register(underPressure, {
      sampleInterval: settings.sampleIntervalMs,
      eventLoopUtilizationMode: 'interval',
      maxEventLoopDelay: settings.maxEventLoopDelayMs,
      maxEventLoopUtilization: settings.maxEventLoopUtilization,
      pressureHandler: (request, reply) => {
        if (request.routeOptions.config.loadShedding === false) return undefined
        shed?.inc()
        sendServiceError(reply, refusal)
        // Resolving lets under-pressure call next(); Fastify stops there since the reply is already sent.
        return Promise.resolve()
      },
    })
    app.decorate('load', {
      overloaded: () => app.isUnderPressure(),
      state() {
        const { eventLoopDelay, eventLoopUtilized } = app.memoryUsage()
        return {
          overloaded: app.isUnderPressure(),
          // Infinity (null in JSON): the loop was blocked for a whole sample, so nothing could be measured.
          eventLoopDelayMs: Number.isFinite(eventLoopDelay)
            ? Math.round(eventLoopDelay * 100) / 100
            : Infinity,
          eventLoopUtilization: Math.round(eventLoopUtilized * 1000) / 1000,
        }
      },
    } satisfies LoadGauge)
  },
  { name: 'gatehouse-load-shedding', fastify: '5.x' },
)
