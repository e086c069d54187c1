import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'
import { closeRedis, connectRedis } from './redis.ts'

const CHANNEL = 'gatehouse:tenant-gateway:invalidate'

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
  const publisher: Redis = connectRedis(options.redisUrl, options.log, 'publisher')
  const subscriber: Redis = connectRedis(options.redisUrl, options.log, 'subscriber')
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
        options.log.warn(
          { clientId },
          'invalidation not published; other replicas catch up within the cache TTL',
        )
      }
    },
    subscribe: (listener) => void listeners.push(listener),
    ready: () => subscribed,
    async close() {
      await Promise.all([closeRedis(publisher), closeRedis(subscriber)])
    },
  }
}
