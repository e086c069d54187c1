import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { errors } from '../errors.ts'
import type { RateLimiter, RateLimitPolicy } from '../infra/rate-limit.ts'
import { credentialOf } from './credentials.ts'
import type { UserTokenVerifier } from './user-tokens.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** The auth-api user behind the access token on an admin route. */
    userId: string
  }
}

export interface AdminLimits {
  /** GET and HEAD. */
  read: RateLimitPolicy
  /** Changes: creating tenants and keys, rotating, revoking, members. */
  write: RateLimitPolicy
}

/**
 * Admin routes act for a person: a user access token from auth-api. API keys authenticate machines, not admins.
 * Each user has a budget of reads and one of changes (a script creating 100 tenants in a burst is refused).
 * Registered inside the admin routes' scope, so only they require it.
 */
export const adminAuth = fp(
  async (
    app: FastifyInstance,
    { users, limiter, limits }: { users: UserTokenVerifier; limiter: RateLimiter; limits: AdminLimits },
  ) => {
    app.decorateRequest('userId', '')
    app.addHook('onRequest', async (request, reply) => {
      const credential = credentialOf(request.headers)
      if (!credential)
        throw errors.UNAUTHENTICATED('Send a user access token: Authorization: Bearer <token>.')
      if (credential.kind === 'api-key') {
        throw errors.USER_TOKEN_REQUIRED(
          'Tenant administration needs a user access token; API keys cannot manage tenants.',
        )
      }
      request.userId = (await users.verify(credential.value)).userId
      const reads = request.method === 'GET' || request.method === 'HEAD'
      const bucket = reads
        ? { key: `user:read:${request.userId}`, name: 'admin-read', policy: limits.read }
        : { key: `user:write:${request.userId}`, name: 'admin-write', policy: limits.write }
      // Abuse protection, not a budget: administration keeps working while the store is unreachable.
      if (!(await limiter.consume(request, reply, bucket, true))) return reply
    })
  },
  { name: 'tenant-gateway-admin-auth', fastify: '5.x' },
)
