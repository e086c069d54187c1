import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Caller, TenantCaller } from './caller.ts'
import { ServiceError } from './errors.ts'
import { INTERNAL_CONTEXT_HEADER, verifyInternalContext } from './internal-auth.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling, as the gateway signed it; null when the request carries no context. */
    caller: Caller | null
  }
}

/**
 * Upstreams learn the caller only from the gateway's signed context header. A header that does not verify
 * (forged, expired, meant for another service) is a 401, never silently ignored.
 */
export const callerContext = fp(
  async (app: FastifyInstance, options: { secret: string; audience: string }) => {
    app.decorateRequest('caller', null)
    // Callback style: a request without the header (health checks, direct calls) costs no promise.
    app.addHook('onRequest', (request, _reply, done) => {
      const header = request.headers[INTERNAL_CONTEXT_HEADER]
      if (header === undefined) return done()
      const token = Array.isArray(header) ? header[0] : header
      verifyInternalContext(options.secret, token ?? '', { audience: options.audience }).then((caller) => {
        request.caller = caller
        done()
      }, done)
    })
  },
  { name: 'gatehouse-caller-context', fastify: '5.x' },
)

/** For routes that need a tenant: the verified caller, or 401. */
export function requireTenantCaller(request: FastifyRequest): TenantCaller {
  const caller = request.caller
  if (!caller?.tenantId) {
    throw new ServiceError(
      'CALLER_REQUIRED',
      401,
      'Unauthorized',
      'Call this route through the gateway with a tenant.',
    )
  }
  return { ...caller, tenantId: caller.tenantId }
}
