import type { Registry } from 'prom-client'

/** One (method, route, status): a request count, a duration sum and the histogram's bucket counts. */
export interface HttpSeries {
  count: number
  sum: number
  /** Non-cumulative: buckets[i] counts durations in (bounds[i-1], bounds[i]]; the last one is +Inf. */
  buckets: Float64Array
}

export interface HttpMetrics {
  /** The series of a route's answers with this method and status (created on first use). */
  seriesOf(method: string, route: string, status: number): HttpSeries
  observe(series: HttpSeries, seconds: number): void
}

interface Labeled {
  method: string
  route: string
  status: string
  series: HttpSeries
}

/**
 * `http_requests_total` and `http_request_duration_seconds`, counted in plain numbers on the request path and
 * turned into Prometheus values only when scraped. prom-client's own counter and histogram validate and hash
 * their labels on every increment, which was most of what metrics cost a request (bench/platform-overhead.ts).
 */
export function createHttpMetrics(registry: Registry, bounds: readonly number[]): HttpMetrics {
  const all: Labeled[] = []
  const index = new Map<string, HttpSeries>()
  const resetAll = () => {
    for (const { series } of all) {
      series.count = 0
      series.sum = 0
      series.buckets.fill(0)
    }
  }
  const requestsMetric = {
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status.',
    type: 'counter',
    aggregator: 'sum',
    get: async () => ({
      name: 'http_requests_total',
      help: requestsMetric.help,
      type: 'counter',
      aggregator: 'sum',
      values: all.map(({ method, route, status, series }) => ({
        labels: { method, route, status },
        value: series.count,
      })),
    }),
    reset: () => resetAll(),
  }
  const durationsName = 'http_request_duration_seconds'
  const durationsMetric = {
    name: durationsName,
    help: 'Time to answer an HTTP request, from its arrival to the response being written.',
    type: 'histogram',
    aggregator: 'sum',
    get: async () => ({
      name: durationsName,
      help: durationsMetric.help,
      type: 'histogram',
      aggregator: 'sum',
      values: all.flatMap(({ method, route, status, series }) => {
        const labels = { method, route, status }
        let cumulative = 0
        const buckets = [...bounds, Number.POSITIVE_INFINITY].map((bound, i) => {
          cumulative += series.buckets[i] ?? 0
          return {
            metricName: `${durationsName}_bucket`,
            labels: { ...labels, le: bound === Number.POSITIVE_INFINITY ? '+Inf' : bound },
            value: cumulative,
          }
        })
        return [
          ...buckets,
          { metricName: `${durationsName}_sum`, labels, value: series.sum },
          { metricName: `${durationsName}_count`, labels, value: series.count },
        ]
      }),
    }),
    reset: () => resetAll(),
  }
  registry.registerMetric(requestsMetric as never)
  registry.registerMetric(durationsMetric as never)

  return {
    seriesOf(method, route, status) {
      const key = `${method} ${status} ${route}`
      let series = index.get(key)
      if (!series) {
        series = { count: 0, sum: 0, buckets: new Float64Array(bounds.length + 1) }
        index.set(key, series)
        all.push({ method, route, status: String(status), series })
      }
      return series
    },
    observe(series, seconds) {
      series.count += 1
      series.sum += seconds
      let i = 0
      while (i < bounds.length && seconds > (bounds[i] as number)) i++
      series.buckets[i] = (series.buckets[i] ?? 0) + 1
    },
  }
}
