import type { FastifyBaseLogger } from 'fastify'
import { Redis } from 'ioredis'

/**
 * Commands fail at once while Redis is unreachable (no offline queue, one retry), so a rate-limit check never
 * hangs a request (@fastify/rate-limit issue #84); the rate-limit policy then decides between open and closed.
 */
export function connectRedis(url: string, log: FastifyBaseLogger, role: string): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: role === 'subscriber',
    maxRetriesPerRequest: 1,
    connectTimeout: 1_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  })
  let lastWarning = 0
  redis.on('error', (error: Error & { code?: string }) => {
    // Reconnection attempts repeat the same error; one line every 10 s is enough.
    if (Date.now() - lastWarning < 10_000) return
    lastWarning = Date.now()
    log.warn({ redis: role, code: error.code }, 'redis unavailable')
  })
  return redis
}

export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    await redis.quit().catch(() => redis.disconnect())
  } else {
    redis.disconnect()
  }
}
