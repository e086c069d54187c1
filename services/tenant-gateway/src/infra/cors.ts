import cors, { type FastifyCorsOptions } from '@fastify/cors'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

// What a browser script may read of our answers besides the CORS-safelisted headers.
const EXPOSED = [
  'x-request-id',
  'ratelimit-policy',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'retry-after',
]
const NOT_ALLOWED: FastifyCorsOptions = { origin: false }

/**
 * CORS for the browser origins of CORS_ORIGINS, answered here (a preflight never reaches an upstream): those
 * origins get their own origin back, credentials (the refresh cookie) and the exposed headers; any other origin,
 * and every request without an Origin, gets no CORS header at all.
 */
export const corsPolicy = fp(
  async (app: FastifyInstance, { origins }: { origins: readonly string[] }) => {
    const listed = new Set(origins)
    const allowed: FastifyCorsOptions = {
      origin: true,
      credentials: true,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      exposedHeaders: EXPOSED,
      maxAge: 600,
      strictPreflight: false,
    }
    await app.register(cors, {
      delegator: (request: FastifyRequest, callback) => {
        const origin = request.headers.origin
        callback(null, origin !== undefined && listed.has(origin) ? allowed : NOT_ALLOWED)
      },
    })
  },
  { name: 'tenant-gateway-cors', fastify: '5.x' },
)
