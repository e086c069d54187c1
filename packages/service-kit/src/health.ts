import type { FastifyInstance } from 'fastify'
import { sendProblem } from './errors.ts'

export interface ReadinessProbe {
  /** Resolves with the database round trip in ms, rejects when unreachable. */
  ping(): Promise<number>
}

/** Liveness never touches dependencies (a down database must not cause restart loops); readiness does. */
export function registerHealth(
  app: FastifyInstance,
  prefix: string,
  service: string,
  codePrefix: string,
  probe?: ReadinessProbe,
): void {
  app.get(`${prefix}/health`, { logLevel: 'warn' }, async () => ({
    status: 'ok',
    service,
    uptime: Math.round(process.uptime()),
  }))

  app.get(`${prefix}/ready`, { logLevel: 'warn' }, async (_request, reply) => {
    if (!probe) return { status: 'ready', service }
    try {
      const latencyMs = await withTimeout(probe.ping(), 2000)
      return { status: 'ready', service, database: { status: 'connected', latencyMs } }
    } catch {
      reply.header('retry-after', '5')
      return sendProblem(reply, {
        code: `${codePrefix}_NOT_READY`,
        title: 'Service unavailable',
        status: 503,
        detail: 'The database is unreachable.',
        database: { status: 'disconnected' },
      })
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
