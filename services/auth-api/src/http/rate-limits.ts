import rateLimit from '@fastify/rate-limit'
import { closeRedis, connectRedis, redisReady, tooManyRequests } from '@gatehouse/service-kit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

const REDIS_READY_TIMEOUT_MS = 2000

/**
 * The store every limit of this service counts in: Redis when REDIS_URL is given (shared by replicas), else
 * memory. A Redis outage lets requests through (skipOnError) rather than failing logins; account lockout still
 * holds, it lives in the database. Installs `app.createRateLimit` (declared by @fastify/rate-limit).
 */
export const rateLimitStore = fp(
  async (app: FastifyInstance, { redisUrl }: { redisUrl?: string }) => {
    const redis = redisUrl ? connectRedis(redisUrl, { log: app.log, role: 'rate-limit' }) : undefined
    if (redis) {
      app.addHook('onReady', async () => {
        if (!(await redisReady(redis, REDIS_READY_TIMEOUT_MS)))
          app.log.warn('redis not ready; rate limits open until it is')
      })
      app.addHook('onClose', () => closeRedis(redis))
    }
    await app.register(rateLimit, {
      global: false,
      skipOnError: true,
      ...(redis ? { redis, nameSpace: 'auth-api-rate-limit:' } : {}),
    })
  },
  { name: 'auth-api-rate-limit-store', fastify: '5.x' },
)

export interface LimitRule {
  /** Keeps the rules' counters apart in a shared store; also the RateLimit-Policy name. */
  name: string
  max: number
  windowSeconds: number
  key: (request: FastifyRequest) => string
}

/** A preHandler enforcing several limits on one route (the plugin's own hook applies only one per request). */
export function enforceLimits(app: FastifyInstance, rules: LimitRule[]) {
  const checks = rules.map((rule) => ({
    rule,
    check: app.createRateLimit({
      max: rule.max,
      timeWindow: rule.windowSeconds * 1000,
      keyGenerator: (request) => `${rule.name}:${rule.key(request)}`,
    }),
  }))
  return async (request: FastifyRequest) => {
    for (const { rule, check } of checks) {
      const result = await check(request)
      if (!result.isAllowed && result.isExceeded) {
        throw tooManyRequests({
          policy: rule.name,
          limit: rule.max,
          remaining: result.remaining,
          resetSeconds: result.ttlInSeconds,
          windowSeconds: rule.windowSeconds,
        })
      }
    }
  }
}
