import rateLimit from '@fastify/rate-limit'
import { ServiceError } from '@gatehouse/service-kit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'

/**
 * The store: Redis when given (shared by replicas), else memory. A Redis outage lets requests through
 * (skipOnError) rather than failing logins; account lockout still holds, it lives in the database.
 */
export const rateLimitStore = fp(
  async (app: FastifyInstance, options: { redis?: Redis }) => {
    await app.register(rateLimit, {
      global: false,
      skipOnError: true,
      ...(options.redis ? { redis: options.redis, nameSpace: 'auth-api-rate-limit:' } : {}),
    })
  },
  { name: 'auth-api-rate-limit-store', fastify: '5.x' },
)

export interface LimitRule {
  /** Keeps the rules' counters apart in a shared store. */
  name: string
  max: number
  windowSeconds: number
  key: (request: FastifyRequest) => string
}

/** A preHandler enforcing several limits on one route (the plugin's own hook applies only one per request). */
export function enforceLimits(app: FastifyInstance, rules: LimitRule[]) {
  const checks = rules.map((rule) =>
    app.createRateLimit({
      max: rule.max,
      timeWindow: rule.windowSeconds * 1000,
      keyGenerator: (request) => `${rule.name}:${rule.key(request)}`,
    }),
  )
  return async (request: FastifyRequest) => {
    for (const check of checks) {
      const result = await check(request)
      if (!result.isAllowed && result.isExceeded) {
        const retryAfter = String(Math.max(1, result.ttlInSeconds))
        throw new ServiceError(
          'AUTH_API_RATE_LIMITED',
          429,
          'Too many requests',
          `Too many attempts; retry in ${retryAfter} s.`,
          {},
          { 'retry-after': retryAfter },
        )
      }
    }
  }
}
