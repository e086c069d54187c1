import { closeRedis, connectRedis, withTimeout } from '@gatehouse/service-kit'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/** The tenants whose cached keys and memberships are stale; published by any replica. */
export const TENANT_INVALIDATION_CHANNEL = 'gatehouse:tenant-gateway:invalidate'
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
  /** Default: the tenant channel. The session channel is only listened to (auth-api publishes on it). */
  channel?: string
  listenOnly?: boolean
}): InvalidationBus {
  const channel = options.channel ?? TENANT_INVALIDATION_CHANNEL
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
  const publisher = options.listenOnly
    ? undefined
    : connectRedis(options.redisUrl, { log, role: 'publisher' })
  const subscriber = connectRedis(options.redisUrl, { log, role: 'subscriber', subscriber: true })
  subscriber.on('message', (from: string, message: string) => {
    if (from === channel) notify(message)
  })
  const subscribed = subscriber.subscribe(channel).then(
    () => undefined,
    () => undefined,
  )
  return {
    async publish(clientId) {
      notify(clientId)
      if (!publisher) return
      try {
        await publisher.publish(channel, clientId)
      } catch {
        log.warn({ clientId }, 'invalidation not published; other replicas catch up within the cache TTL')
      }
    },
    subscribe: (listener) => void listeners.push(listener),
    ready: () => subscribed,
    async close() {
      await Promise.all([publisher && closeRedis(publisher), closeRedis(subscriber)])
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
