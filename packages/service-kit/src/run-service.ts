import type { FastifyInstance } from 'fastify'

export interface RunOptions {
  port: number
  host: string
  /** Upper bound for in-flight requests to finish after SIGTERM/SIGINT. */
  shutdownTimeoutMs?: number
  /** Runs after app.close(), when every onClose hook is done (the database closes here, last). */
  afterClose?: () => Promise<void>
}

/** Listen, then close gracefully on SIGTERM/SIGINT: stop accepting, finish in-flight requests, run onClose hooks (db). */
export async function runService(app: FastifyInstance, options: RunOptions): Promise<void> {
  let closing = false
  const shutdown = async (signal: NodeJS.Signals) => {
    if (closing) return
    closing = true
    app.shuttingDown = true
    app.log.info({ signal }, 'shutting down')
    const force = setTimeout(() => {
      app.log.error('shutdown timed out; exiting')
      process.exit(1)
    }, options.shutdownTimeoutMs ?? 10_000)
    force.unref()
    try {
      await app.close()
      await options.afterClose?.()
      process.exit(0)
    } catch (error) {
      app.log.error({ err: error }, 'error during shutdown')
      process.exit(1)
    }
  }
  process.once('SIGTERM', shutdown)
  process.once('SIGINT', shutdown)
  await app.listen({ port: options.port, host: options.host })
}
