import rateLimit from '@fastify/rate-limit'
import type { ServiceInstance } from '@gatehouse/service-kit'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Redis } from 'ioredis'
import type { Config } from './config.ts'
import { errors, sendError } from './errors.ts'

export type Plan = 'free' | 'pro' | 'enterprise'

export interface RateLimitPolicy {
  max: number
  windowMs: number
}

export const PLAN_LIMITS: Record<Plan, RateLimitPolicy> = {
  free: { max: 600, windowMs: 60_000 },
  pro: { max: 6_000, windowMs: 60_000 },
  enterprise: { max: 60_000, windowMs: 60_000 },
}

export function tenantPolicyOf(tenant: {
  plan: Plan
  rateLimitMax: number | null
  rateLimitWindowMs: number | null
}): RateLimitPolicy {
  if (tenant.rateLimitMax !== null && tenant.rateLimitWindowMs !== null) {
    return { max: tenant.rateLimitMax, windowMs: tenant.rateLimitWindowMs }
  }
  return PLAN_LIMITS[tenant.plan]
}

/** One counter: `tenant:<id>` or `ip:<tier>:<address>`. */
export interface Bucket {
  key: string
  /** Shown in RateLimit-Policy. */
  name: string
  policy: RateLimitPolicy
}

export interface RateLimitState {
  limit: number
  remaining: number
  resetSeconds: number
}

export interface RateLimiter {
  /**
   * Counts one request. Sends the 429 (or the 503 of a closed-failing store) itself and returns false when the
   * request must stop; sets the RateLimit headers otherwise.
   */
  consume(request: FastifyRequest, reply: FastifyReply, bucket: Bucket): Promise<boolean>
  /** The state without counting (POST /api/keys/verify); undefined when the store is unreachable. */
  peek(request: FastifyRequest, bucket: Bucket): Promise<RateLimitState | undefined>
}

const BUCKET = Symbol('rate-limit bucket')
type WithBucket = FastifyRequest & { [BUCKET]?: Bucket }

/**
 * Fixed-window counters from @fastify/rate-limit (Redis store with REDIS_URL, shared by all replicas; memory
 * otherwise), applied by the gateway after it knows who is calling. Store failures follow RATE_LIMIT_FAIL_OPEN.
 */
export async function createRateLimiter(
  app: ServiceInstance,
  options: { redis?: Redis; config: Pick<Config, 'RATE_LIMIT_FAIL_OPEN'> },
): Promise<RateLimiter> {
  await app.register(rateLimit, {
    global: false,
    skipOnError: false,
    nameSpace: 'gatehouse:rl:',
    ...(options.redis ? { redis: options.redis } : {}),
  })
  const bucketOf = (request: FastifyRequest): Bucket => (request as WithBucket)[BUCKET]!
  const limit = app.createRateLimit({
    keyGenerator: (request) => bucketOf(request).key,
    max: (request) => bucketOf(request).policy.max,
    timeWindow: (request) => bucketOf(request).policy.windowMs,
  })
  let lastWarning = 0
  const warnOpen = (request: FastifyRequest) => {
    if (Date.now() - lastWarning < 10_000) return
    lastWarning = Date.now()
    request.log.warn('rate-limit store unreachable; failing open (RATE_LIMIT_FAIL_OPEN=true)')
  }

  const check = async (request: FastifyRequest, bucket: Bucket, increment: boolean) => {
    ;(request as WithBucket)[BUCKET] = bucket
    return limit(request, { increment })
  }

  return {
    async consume(request, reply, bucket) {
      let result: Awaited<ReturnType<typeof limit>>
      try {
        result = await check(request, bucket, true)
      } catch {
        if (options.config.RATE_LIMIT_FAIL_OPEN) {
          warnOpen(request)
          return true
        }
        request.log.error('rate-limit store unreachable; failing closed (RATE_LIMIT_FAIL_OPEN=false)')
        reply.header('retry-after', '5')
        sendError(reply, errors.RATE_LIMIT_UNAVAILABLE('The rate-limit store is unreachable; retry shortly.'))
        return false
      }
      if (result.isAllowed) return true
      const windowSeconds = Math.ceil(bucket.policy.windowMs / 1000)
      reply.header('ratelimit-policy', `"${bucket.name}";q=${result.max};w=${windowSeconds}`)
      reply.header('ratelimit-limit', result.max)
      reply.header('ratelimit-remaining', result.remaining)
      reply.header('ratelimit-reset', result.ttlInSeconds)
      if (!result.isExceeded) return true
      reply.header('retry-after', result.ttlInSeconds)
      const detail = `Rate limit of ${result.max} requests per ${windowSeconds} s exceeded; retry in ${result.ttlInSeconds} s.`
      sendError(reply, errors.RATE_LIMITED(detail))
      return false
    },
    async peek(request, bucket) {
      try {
        const result = await check(request, bucket, false)
        if (result.isAllowed) return undefined
        return {
          limit: result.max,
          remaining: result.remaining,
          resetSeconds: result.ttlInSeconds || Math.ceil(bucket.policy.windowMs / 1000),
        }
      } catch {
        return undefined
      }
    },
  }
}
