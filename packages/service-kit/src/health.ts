import type { FastifyInstance } from 'fastify'
import { ServiceError, sendServiceError } from './errors.ts'

export interface ReadinessProbe {
  /** Resolves with the database round trip in ms, rejects when unreachable. */
  ping(): Promise<number>
}

/**
 * Liveness never touches dependencies (a down database must not cause restart loops); readiness does. Registered
 * with a prefix ('' and the service's public prefix).
 */
export async function healthRoutes(
  app: FastifyInstance,
  options: { service: string; probe?: ReadinessProbe },
) {
  const { service, probe } = options
  app.get('/health', { logLevel: 'warn' }, async () => ({
    status: 'ok',
    service,
    uptime: Math.round(process.uptime()),
  }))

  app.get('/ready', { logLevel: 'warn' }, async (_request, reply) => {
    if (!probe) return { status: 'ready', service }
    try {
      const latencyMs = await withTimeout(probe.ping(), 2000)
      return { status: 'ready', service, database: { status: 'connected', latencyMs } }
    } catch {
      const notReady = new ServiceError(
        'NOT_READY',
        503,
        'Service unavailable',
        'The database is unreachable.',
        {
          database: { status: 'disconnected' },
        },
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
