import { SECURITY, type ServiceInstance } from '@gatehouse/service-kit'
import Type from 'typebox'
import { SessionGrant } from '../auth-api-client.ts'
import { errors } from '../errors.ts'
import type { Exchange } from '../exchange.ts'
import { requesterOf } from '../http/client.ts'
import { Uuid } from '../http/schemas.ts'
import type { SessionWatch } from '../session-watch.ts'

const ExchangeBody = Type.Object({
  sessionId: Uuid,
  // Exchange tokens are 64 hex characters; the cap only keeps junk out.
  exchangeToken: Type.String({ minLength: 1, maxLength: 128 }),
})

/** POST /api/qr/exchange: the desktop spends its one-time token for the grant a password login gives. */
export async function exchangeRoutes(
  app: ServiceInstance,
  { exchange, watch }: { exchange: Exchange; watch: SessionWatch },
) {
  app.post(
    '/exchange',
    {
      // exchange.ts: the refusals of a token that did not flip, then auth-api's answer after the flip.
      config: {
        problems: [
          errors.EXCHANGE_TOKEN_INVALID,
          errors.EXCHANGE_TOKEN_USED,
          errors.EXCHANGE_TOKEN_EXPIRED,
          errors.SESSION_NOT_APPROVED,
          errors.SESSION_REJECTED,
          errors.SESSION_OUTDATED,
          errors.APPROVER_NOT_FOUND,
          errors.SESSION_ISSUER_UNAVAILABLE,
        ],
      },
      schema: {
        summary: 'Exchange a QR login for a session',
        description:
          'For the desktop, once the phone approved: spends the one-time exchange token (from the first poll after the approval) for the grant a password login gives. A 503 keeps the token valid: retry after Retry-After.',
        security: SECURITY.public,
        body: ExchangeBody,
        response: { 200: SessionGrant },
      },
    },
    async (request, reply) => {
      const { sessionId, exchangeToken } = request.body
      reply.header('cache-control', 'no-store')
      const grant = await exchange.exchange(
        { sessionId, exchangeToken, client: requesterOf(request) },
        request.log,
      )
      watch.changed(sessionId)
      return grant
    },
  )
}
