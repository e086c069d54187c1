import rateLimit from '@fastify/rate-limit'
import { closeRedis, connectRedis, sendServiceError, tooManyRequests } from '@gatehouse/service-kit'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { errors } from '../errors.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** Per-tenant and per-IP counters, applied by the routes once they know who is calling. */
    rateLimiter: RateLimiter
  }
}

export interface RateLimitPolicy {
  max: number
  windowMs: number
}

/** One counter: `tenant:<id>` or `ip:<tier>:<address>`. */
export interface Bucket {
  key: string
  /** Shown in RateLimit-Policy. */
  name: string
  policy: RateLimitPolicy
}

/** What POST /api/keys/verify reports of a tenant's budget. */
export interface RateLimitSnapshot {
  limit: number
  remaining: number
  resetSeconds: number
}

export interface RateLimiter {
  /**
   * Counts one request. Sends the 429 (or the 503 of a closed-failing store) itself and returns false when the
   * request must stop; sets the RateLimit headers otherwise. `failOpen` overrides RATE_LIMIT_FAIL_OPEN.
   */
  consume(request: FastifyRequest, reply: FastifyReply, bucket: Bucket, failOpen?: boolean): Promise<boolean>
  /** The state without counting (POST /api/keys/verify); undefined when the store is unreachable. */
  peek(request: FastifyRequest, bucket: Bucket): Promise<RateLimitSnapshot | undefined>
}

const RATE_LIMIT_HEADERS = ['ratelimit-policy', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset']

/** Takes back the RateLimit headers consume() set: an answer describes only the limit that decided it. */
export function dropRateLimitHeaders(reply: FastifyReply): void {
  for (const name of RATE_LIMIT_HEADERS) reply.removeHeader(name)
}

const BUCKET = Symbol('rate-limit bucket')
type WithBucket = FastifyRequest & { [BUCKET]?: Bucket }

const WARNING_INTERVAL_MS = 10_000

/**
 * Fixed-window counters from @fastify/rate-limit (Redis store with `redisUrl`, shared by all replicas; memory
 * otherwise), exposed as `app.rateLimiter`. Store failures follow `failOpen` (RATE_LIMIT_FAIL_OPEN).
 */
export const rateLimiting = fp(
  async (app: FastifyInstance, options: { redisUrl?: string; failOpen: boolean }) => {
    const redis = options.redisUrl
      ? connectRedis(options.redisUrl, { log: app.log, role: 'rate-limit' })
      : undefined
    app.addHook('onClose', async () => {
      if (redis) await closeRedis(redis)
    })
    await app.register(rateLimit, {
      global: false,
      skipOnError: false,
      nameSpace: 'gatehouse:rl:',
      ...(redis ? { redis } : {}),
    })
    const bucketOf = (request: FastifyRequest): Bucket => (request as WithBucket)[BUCKET]!
    const limit = app.createRateLimit({
      keyGenerator: (request) => bucketOf(request).key,
      max: (request) => bucketOf(request).policy.max,
      timeWindow: (request) => bucketOf(request).policy.windowMs,
    })
    let lastWarning = 0
    const warnOpen = (request: FastifyRequest) => {
      if (Date.now() - lastWarning < WARNING_INTERVAL_MS) return
      lastWarning = Date.now()
      request.log.warn('rate-limit store unreachable; failing open (RATE_LIMIT_FAIL_OPEN=true)')
    }

    const check = async (request: FastifyRequest, bucket: Bucket, increment: boolean) => {
      ;(request as WithBucket)[BUCKET] = bucket
      return limit(request, { increment })
    }

    app.decorate('rateLimiter', {
      async consume(request, reply, bucket, failOpen = options.failOpen) {
        let result: Awaited<ReturnType<typeof limit>>
        try {
          result = await check(request, bucket, true)
        } catch {
          if (failOpen) {
            warnOpen(request)
            return true
          }
          request.log.error('rate-limit store unreachable; failing closed (RATE_LIMIT_FAIL_OPEN=false)')
          sendServiceError(
            reply,
            errors
              .RATE_LIMIT_UNAVAILABLE('The rate-limit store is unreachable; retry shortly.')
              .withHeaders({ 'retry-after': '5' }),
          )
          return false
        }
        if (result.isAllowed) return true
        const windowSeconds = Math.ceil(bucket.policy.windowMs / 1000)
        if (result.isExceeded) {
          sendServiceError(
            reply,
            tooManyRequests({
              policy: bucket.name,
              limit: result.max,
              remaining: result.remaining,
              resetSeconds: result.ttlInSeconds,
              windowSeconds,
            }),
          )
          return false
        }
        // The headers rateLimitHeaders() gives a 429, set one by one: this runs on every proxied request, where
        // building a state and a header object for them would be two allocations per request for nothing.
        reply.header('ratelimit-policy', `"${bucket.name}";q=${result.max};w=${windowSeconds}`)
        reply.header('ratelimit-limit', result.max)
        reply.header('ratelimit-remaining', result.remaining)
        reply.header('ratelimit-reset', result.ttlInSeconds)
        return true
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
    } satisfies RateLimiter)
  },
  { name: 'tenant-gateway-rate-limiting', fastify: '5.x' },
)
