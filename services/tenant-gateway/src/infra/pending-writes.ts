import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyInstance {
    /** Writes buffered last_used_at and token-audit rows now (tests; shutdown does it too). */
    flushPendingWrites(): Promise<void>
  }
}

/** Something that writes off the request path: a batcher, the token audit, a usage sink. */
export interface BackgroundWriter {
  flush?(): Promise<void>
  close?(): Promise<void>
}

/** `app.flushPendingWrites()`, and every writer flushed and closed when the app closes. */
export const pendingWrites = fp(
  async (app: FastifyInstance, { writers }: { writers: BackgroundWriter[] }) => {
    app.decorate('flushPendingWrites', async () => {
      await Promise.all(writers.map((writer) => writer.flush?.()))
    })
    app.addHook('onClose', async () => {
      await Promise.all(writers.map((writer) => writer.close?.()))
    })
  },
  { name: 'tenant-gateway-pending-writes', fastify: '5.x' },
)
