import { safeEqual } from '@gatehouse/crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import { ServiceError, sendServiceError } from './errors.ts'
import { createHttpMetrics, type HttpSeries } from './http-metrics.ts'

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
  observeProblem(reply: FastifyReply, code: string, status: number): void
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

/**
 * Installs the HTTP metrics and `GET /metrics` at once, not as a plugin loading at ready: each route gets its own
 * onResponse hook as it is declared (its pattern known without reading request.routeOptions, which Fastify builds
 * anew on every access), so routes declared on the root right after createService are counted too.
 */
export function installMetrics(app: FastifyInstance, own: ServiceMetrics, options: MetricsOptions): void {
  const registry = own.registry
  const http = createHttpMetrics(registry, DURATION_BUCKETS)
  const problems = own.counter('gatehouse_problems_total', 'Problem answers, by code and route.', [
    'code',
    'route',
  ])
  const rateLimited = own.counter(
    'gatehouse_rate_limited_total',
    'Requests refused with 429, by rate-limit policy.',
    ['policy'],
  )

  app.addHook('onRoute', (route) => {
    const pattern = route.url
    // Per method, per status: two map lookups and three additions per request, nothing allocated.
    const byMethod = new Map<string, Map<number, HttpSeries>>()
    const countAnswer = (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      let byStatus = byMethod.get(request.method)
      if (!byStatus) {
        byStatus = new Map()
        byMethod.set(request.method, byStatus)
      }
      let series = byStatus.get(reply.statusCode)
      if (!series) {
        series = http.seriesOf(request.method, pattern, reply.statusCode)
        byStatus.set(reply.statusCode, series)
      }
      http.observe(series, reply.elapsedTime / 1000)
      done()
    }
    const existing = route.onResponse
    route.onResponse = existing
      ? [...(Array.isArray(existing) ? existing : [existing]), countAnswer]
      : [countAnswer]
  })

  own.observeProblem = (reply, code, status) => {
    const route = reply.request.routeOptions.url
    problems.inc({ code, route: route ?? UNMATCHED_ROUTE })
    // Requests no route matched are counted here: every one of them is answered with a problem (404 and the like).
    if (route === undefined)
      http.observe(http.seriesOf(reply.request.method, UNMATCHED_ROUTE, status), reply.elapsedTime / 1000)
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
        if (!match?.[1] || !safeEqual(match[1], options.token)) return sendServiceError(reply, tokenRequired)
      }
      return reply.type(registry.contentType).send(await registry.metrics())
    },
  )
}
