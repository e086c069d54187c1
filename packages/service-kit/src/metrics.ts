import { safeEqual } from '@gatehouse/crypto'
import type { FastifyInstance, FastifyReply } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import { ServiceError, sendServiceError } from './errors.ts'

/** A service's own metrics, registered in its app's registry (several apps in one test process never clash). */
export interface ServiceMetrics {
  readonly registry: Registry
  /** The counter of that name, created on first use: `app.metrics.counter('x_total', 'help', ['result'])`. */
  counter<L extends string = never>(name: string, help: string, labelNames?: readonly L[]): Counter<L>
  gauge<L extends string = never>(name: string, help: string, labelNames?: readonly L[]): Gauge<L>
  histogram<L extends string = never>(
    name: string,
    help: string,
    labelNames?: readonly L[],
    buckets?: number[],
  ): Histogram<L>
  /** Counts a problem answer (by code and route; 429s also by their RateLimit-Policy). */
  observeProblem(reply: FastifyReply, code: string): void
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ServiceMetrics
  }
  interface FastifyContextConfig {
    /** false: the route is exempt from load shedding (probes, /metrics). */
    loadShedding?: boolean
  }
}

export interface MetricsOptions {
  /** Bearer token /metrics requires (METRICS_TOKEN); open without. */
  token?: string
  path?: string
}

/** Requests that matched no route share one label value, whatever their path: unknown URLs never add series. */
export const UNMATCHED_ROUTE = '(unmatched)'
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

const tokenRequired = new ServiceError(
  'METRICS_TOKEN_REQUIRED',
  401,
  'Unauthorized',
  'This endpoint needs Authorization: Bearer <METRICS_TOKEN>.',
).withHeaders({ 'www-authenticate': 'Bearer realm="metrics"' })

function serviceMetricsOf(registry: Registry): ServiceMetrics {
  const existing = (name: string) => registry.getSingleMetric(name)
  return {
    registry,
    observeProblem: () => {},
    counter: (name, help, labelNames = []) =>
      (existing(name) as Counter<never>) ??
      new Counter({ name, help, labelNames: [...labelNames], registers: [registry] }),
    gauge: (name, help, labelNames = []) =>
      (existing(name) as Gauge<never>) ??
      new Gauge({ name, help, labelNames: [...labelNames], registers: [registry] }),
    histogram: (name, help, labelNames = [], buckets = DURATION_BUCKETS) =>
      (existing(name) as Histogram<never>) ??
      new Histogram({ name, help, labelNames: [...labelNames], buckets, registers: [registry] }),
  }
}

/**
 * Prometheus metrics on the service's own port (`GET /metrics`, never under a public prefix, so the gateway
 * never forwards it): requests and their duration by route pattern (never the raw URL), method and status;
 * problems answered by code; 429s by rate-limit policy; process and event-loop metrics; and the service's own
 * (`app.metrics.counter(...)`).
 */
/** The registry of one app, with process and event-loop metrics; decorated as `app.metrics` by createService. */
export function createServiceMetrics(service: string): ServiceMetrics {
  const registry = new Registry()
  registry.setDefaultLabels({ service })
  collectDefaultMetrics({ register: registry })
  return serviceMetricsOf(registry)
}

export const metrics = fp(
  async (app: FastifyInstance, options: MetricsOptions) => {
    const own = app.metrics
    const registry = own.registry
    const labels = ['method', 'route', 'status'] as const
    const requests = own.counter('http_requests_total', 'HTTP requests answered.', labels)
    const durations = own.histogram(
      'http_request_duration_seconds',
      'Time to answer an HTTP request, from its arrival to the last byte written.',
      labels,
    )
    const problems = own.counter('gatehouse_problems_total', 'Problem answers, by code and route.', [
      'code',
      'route',
    ])
    const rateLimited = own.counter(
      'gatehouse_rate_limited_total',
      'Requests refused with 429, by rate-limit policy.',
      ['policy'],
    )

    // Label lookups hash their label set on every call: one bound child per (method, route, status) instead.
    const children = new Map<
      string,
      { count: Counter.Internal; time: Histogram.Internal<(typeof labels)[number]> }
    >()
    app.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? UNMATCHED_ROUTE
      const key = `${request.method} ${reply.statusCode} ${route}`
      let child = children.get(key)
      if (!child) {
        const values = { method: request.method, route, status: String(reply.statusCode) }
        child = { count: requests.labels(values), time: durations.labels(values) }
        children.set(key, child)
      }
      child.count.inc()
      child.time.observe(reply.elapsedTime / 1000)
      done()
    })

    own.observeProblem = (reply, code) => {
      problems.inc({ code, route: reply.request.routeOptions.url ?? UNMATCHED_ROUTE })
      if (code.endsWith('_RATE_LIMITED')) {
        const policy = /^"([^"]+)"/.exec(String(reply.getHeader('ratelimit-policy') ?? ''))?.[1]
        rateLimited.inc({ policy: policy ?? 'unknown' })
      }
    }

    app.get(
      options.path ?? '/metrics',
      { logLevel: 'warn', schema: { hide: true }, config: { loadShedding: false } },
      async (request, reply) => {
        if (options.token) {
          const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')
          if (!match?.[1] || !safeEqual(match[1], options.token))
            return sendServiceError(reply, tokenRequired)
        }
        return reply.type(registry.contentType).send(await registry.metrics())
      },
    )
  },
  { name: 'gatehouse-metrics', fastify: '5.x' },
)
