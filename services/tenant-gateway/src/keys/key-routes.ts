import { SECURITY, type ServiceInstance } from '@gatehouse/service-kit'
import Type from 'typebox'
import type { Config } from '../config.ts'
import { errors } from '../errors.ts'
import type { RateLimiter } from '../infra/rate-limit.ts'
import { NullableTimestamp, Timestamp, Uuid } from '../schemas.ts'
import { RATE_LIMITED } from '../tenants/problems.ts'
import type { QuotaTracker } from '../usage/quota-tracker.ts'
import type { KeyVerifier } from './key-verification.ts'

export interface KeyRouteDeps {
  keys: KeyVerifier
  limiter: RateLimiter
  quotas: Pick<QuotaTracker, 'status'>
  config: Pick<Config, 'PUBLIC_RATE_LIMIT_MAX' | 'PUBLIC_RATE_LIMIT_WINDOW_MS'>
}

const CODES = [
  'VALID',
  'MALFORMED',
  'NOT_FOUND',
  'REVOKED',
  'EXPIRED',
  'DISABLED',
  'USAGE_EXCEEDED',
  'RATE_LIMITED',
] as const

type VerifyCode = (typeof CODES)[number]

const VerifyResult = Type.Object({
  valid: Type.Boolean(),
  code: Type.Unsafe<VerifyCode>(Type.Union(CODES.map((code) => Type.Literal(code)))),
  tenantId: Type.Optional(Uuid),
  keyId: Type.Optional(Uuid),
  scopes: Type.Optional(Type.Array(Type.String())),
  expiresAt: Type.Optional(NullableTimestamp),
  rateLimit: Type.Optional(
    Type.Object({ limit: Type.Integer(), remaining: Type.Integer(), resetSeconds: Type.Integer() }),
  ),
  /** The monthly quota, for a tenant that has one: requests this UTC month (this gateway's figure) and its end. */
  usage: Type.Optional(Type.Object({ limit: Type.Integer(), used: Type.Integer(), resetsAt: Timestamp })),
})

/**
 * POST /api/keys/verify: like a key-verification service (Unkey's deny codes). Anyone holding a key may ask;
 * the caller's IP is rate limited, the tenant's budget is only read, not spent. Tenant details are returned only
 * for keys that exist.
 */
export async function keyRoutes(app: ServiceInstance, { keys, limiter, quotas, config }: KeyRouteDeps) {
  app.post(
    '/verify',
    {
      // A key that does not verify is a 200 with its deny code; only the per-IP limit refuses.
      config: { problems: [RATE_LIMITED, errors.RATE_LIMIT_UNAVAILABLE] },
      schema: {
        summary: 'Verify an API key',
        description:
          'Anyone holding a key may ask (the key is the body): valid or not, with a deny code, and for a key that exists its tenant, scopes, rate limit and monthly usage.',
        security: SECURITY.public,
        body: Type.Object({ key: Type.String({ minLength: 1, maxLength: 512 }) }),
        response: { 200: VerifyResult },
      },
    },
    async (request, reply) => {
      const allowed = await limiter.consume(request, reply, {
        key: `ip:verify:${request.ip}`,
        name: 'ip-verify',
        policy: { max: config.PUBLIC_RATE_LIMIT_MAX, windowMs: config.PUBLIC_RATE_LIMIT_WINDOW_MS },
      })
      if (!allowed) return reply
      const check = await keys.verify(request.body.key)
      const key = check.key
      const outcome: VerifyCode = check.valid ? 'VALID' : check.reason
      if (!key) return { valid: false, code: outcome }
      const rateLimit = await limiter.peek(request, {
        key: `tenant:${key.clientId}`,
        name: 'tenant',
        policy: key.rateLimit,
      })
      const usage = quotas.status(key.clientId, key.quota)
      // In the proxy's order: the quota first, then the rate limit.
      const exceeded = check.valid && usage !== undefined && usage.used >= usage.limit
      const limited = check.valid && !exceeded && rateLimit !== undefined && rateLimit.remaining <= 0
      const code: VerifyCode = exceeded ? 'USAGE_EXCEEDED' : limited ? 'RATE_LIMITED' : outcome
      return {
        valid: check.valid && !exceeded && !limited,
        code,
        tenantId: key.clientId,
        keyId: key.keyId,
        scopes: key.scopes,
        expiresAt: key.expiresAt,
        ...(rateLimit ? { rateLimit } : {}),
        ...(usage ? { usage } : {}),
      }
    },
  )
}
