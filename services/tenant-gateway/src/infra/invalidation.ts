import { closeRedis, connectRedis, withTimeout } from '@gatehouse/service-kit'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

const CHANNEL = 'gatehouse:tenant-gateway:invalidate'
const SUBSCRIBE_WAIT_MS = 2_000

/**
 * Tells every gateway replica that a tenant's cached keys and memberships are stale (revoke, rotate, suspend,
 * role change). Local listeners run at once; with Redis, other replicas hear it over pub/sub within milliseconds.
 * If a message is lost (Redis down), the cache TTL still bounds how long a stale entry lives.
 */
export interface InvalidationBus {
  publish(clientId: string): Promise<void>
  subscribe(listener: (clientId: string) => void): void
  /** Resolves once the Redis subscription is active (or at once without Redis). */
  ready(): Promise<void>
  close(): Promise<void>
}

export function createInvalidationBus(options: {
  redisUrl?: string
  log: FastifyBaseLogger
}): InvalidationBus {
  const listeners: Array<(clientId: string) => void> = []
  const notify = (clientId: string) => {
    for (const listener of listeners) listener(clientId)
  }
  if (!options.redisUrl) {
    return {
      publish: async (clientId) => notify(clientId),
      subscribe: (listener) => void listeners.push(listener),
      ready: async () => {},
      close: async () => {},
    }
  }
  const { log } = options
  const publisher = connectRedis(options.redisUrl, { log, role: 'publisher' })
  const subscriber = connectRedis(options.redisUrl, { log, role: 'subscriber', subscriber: true })
  subscriber.on('message', (channel: string, clientId: string) => {
    if (channel === CHANNEL) notify(clientId)
  })
  const subscribed = subscriber.subscribe(CHANNEL).then(
    () => undefined,
    () => undefined,
  )
  return {
    async publish(clientId) {
      notify(clientId)
      try {
        await publisher.publish(CHANNEL, clientId)
      } catch {
        log.warn({ clientId }, 'invalidation not published; other replicas catch up within the cache TTL')
      }
    },
    subscribe: (listener) => void listeners.push(listener),
    ready: () => subscribed,
    async close() {
      await Promise.all([closeRedis(publisher), closeRedis(subscriber)])
    },
  }
}

/** Ties the bus to the app's life: subscribed before it serves (briefly), closed with it. */
export const invalidationChannel = fp(
  async (app: FastifyInstance, { bus }: { bus: InvalidationBus }) => {
    // Start even when Redis is down: revocations then reach this replica through the cache TTL.
    app.addHook('onReady', async () => {
      await withTimeout(bus.ready(), SUBSCRIBE_WAIT_MS).catch(() =>
        app.log.warn('invalidation channel not subscribed yet'),
      )
    })
    app.addHook('onClose', () => bus.close())
  },
  { name: 'tenant-gateway-invalidation', fastify: '5.x' },
)
