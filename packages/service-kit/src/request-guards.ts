import type { FastifyInstance } from 'fastify'
import { sendProblem } from './errors.ts'
import { rejectBadInput } from './input-checks.ts'
import { HSTS_HEADER, helmetHeaders } from './security-headers.ts'

export interface RequestGuardOptions {
  codePrefix: string
  /** Strict-Transport-Security on every answer (auth-api with COOKIE_SECURE); otherwise on requests that came over TLS. */
  hsts?: boolean
}

/**
 * What every service refuses or adds before its routes see a request: helmet's API headers, a clean 503 while
 * shutting down, 415 for bodies that are not JSON, and 400 for text PostgreSQL cannot store or JSON nested too
 * deeply. Hooks are callback style (no promise per request).
 */
export function installRequestGuards(app: FastifyInstance, options: RequestGuardOptions): void {
  const headers = helmetHeaders()
  const alwaysHsts = options.hsts === true
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(headers)
    if (alwaysHsts || request.protocol === 'https') reply.header('strict-transport-security', HSTS_HEADER)
    if (!app.shuttingDown) return done()
    reply.header('connection', 'close')
    sendProblem(reply, {
      code: `${options.codePrefix}_SHUTTING_DOWN`,
      title: 'Service unavailable',
      status: 503,
      detail: 'The service is shutting down; retry on another instance.',
    })
  })
  // Fastify parses text/plain into a string, which then fails "must be object": every body here is JSON.
  app.removeContentTypeParser('text/plain')
  app.addHook('preValidation', rejectBadInput)
}
