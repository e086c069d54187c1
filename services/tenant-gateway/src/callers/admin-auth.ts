import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { errors } from '../errors.ts'
import { credentialOf } from './credentials.ts'
import type { UserTokenVerifier } from './user-tokens.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** The auth-api user behind the access token on an admin route. */
    userId: string
  }
}

/**
 * Admin routes act for a person: a user access token from auth-api. API keys authenticate machines, not admins.
 * Registered inside the admin routes' scope, so only they require it.
 */
export const adminAuth = fp(
  async (app: FastifyInstance, { users }: { users: UserTokenVerifier }) => {
    app.decorateRequest('userId', '')
    app.addHook('onRequest', async (request) => {
      const credential = credentialOf(request.headers)
      if (!credential)
        throw errors.UNAUTHENTICATED('Send a user access token: Authorization: Bearer <token>.')
      if (credential.kind === 'api-key') {
        throw errors.USER_TOKEN_REQUIRED(
          'Tenant administration needs a user access token; API keys cannot manage tenants.',
        )
      }
      request.userId = (await users.verify(credential.value)).userId
    })
  },
  { name: 'tenant-gateway-admin-auth', fastify: '5.x' },
)
