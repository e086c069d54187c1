import type { FastifyInstance } from 'fastify'
import { ServiceError, sendServiceError } from './errors.ts'
import type { LoadGauge } from './load-shedding.ts'

export interface ReadinessProbe {
  /** Resolves with the database round trip in ms, rejects when unreachable. */
  ping(): Promise<number>
}

/**
 * Liveness never touches dependencies (a down database must not cause restart loops); readiness does. Registered
 * with a prefix ('' and the service's public prefix). `statusOnly` where the gateway makes it public: the answer
 * says ready or not, never database latency or load figures.
 */
export async function healthRoutes(
  app: FastifyInstance,
  options: { service: string; probe?: ReadinessProbe; load?: LoadGauge; statusOnly?: boolean },
) {
  const { service, probe, load, statusOnly } = options
  const details = (extensions: Record<string, unknown>) => (statusOnly ? {} : extensions)
  // Probes are never shed: liveness must not fail for load, and readiness says it is overloaded itself.
  const probeRoute = { logLevel: 'warn', config: { loadShedding: false } } as const
  app.get('/health', probeRoute, async () => ({
    status: 'ok',
    service,
    uptime: Math.round(process.uptime()),
  }))

  app.get('/ready', probeRoute, async (_request, reply) => {
    const loadState = load?.state()
    if (loadState?.overloaded) {
      const overloaded = new ServiceError(
        'OVERLOADED',
        503,
        'Service overloaded',
        'The service is shedding load.',
        details({ load: loadState }),
      )
      return sendServiceError(reply, overloaded.withHeaders({ 'retry-after': '5' }))
    }
    if (!probe) return { status: 'ready', service }
    try {
      const latencyMs = await withTimeout(probe.ping(), 2000)
      if (statusOnly) return { status: 'ready', service }
      return { status: 'ready', service, database: { status: 'connected', latencyMs } }
    } catch {
      const notReady = new ServiceError(
        'NOT_READY',
        503,
        'Service unavailable',
        'The database is unreachable.',
        details({ database: { status: 'disconnected' } }),
      )
      return sendServiceError(reply, notReady.withHeaders({ 'retry-after': '5' }))
    }
  })
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
