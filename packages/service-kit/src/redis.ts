import type { FastifyBaseLogger } from 'fastify'
import { Redis } from 'ioredis'

const WARNING_INTERVAL_MS = 10_000

/**
 * Commands fail at once while Redis is unreachable (no offline queue, one retry), so a rate-limit check never
 * hangs a request (@fastify/rate-limit issue #84); the caller's policy then decides between open and closed.
 * A subscriber keeps its offline queue: its SUBSCRIBE must survive a reconnect.
 */
export function connectRedis(
  url: string,
  options: { log: FastifyBaseLogger; role: string; subscriber?: boolean },
): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: options.subscriber ?? false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  })
  let lastWarning = 0
  redis.on('error', (error: Error & { code?: string }) => {
    // Reconnection attempts repeat the same error; one line every 10 s is enough.
    if (Date.now() - lastWarning < WARNING_INTERVAL_MS) return
    lastWarning = Date.now()
    options.log.warn({ redis: options.role, code: error.code }, 'redis unavailable')
  })
  return redis
}

/** Without the offline queue, commands sent before the connection is up fail: wait for it briefly at start. */
export function redisReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true)
  return new Promise((resolve) => {
    const onReady = () => {
      clearTimeout(timer)
      resolve(true)
    }
    const timer = setTimeout(() => {
      redis.off('ready', onReady)
      resolve(false)
    }, timeoutMs)
    redis.once('ready', onReady)
  })
}

export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    await redis.quit().catch(() => redis.disconnect())
  } else {
    redis.disconnect()
  }
}
