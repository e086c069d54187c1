import type { ServiceInstance } from '@gatehouse/service-kit'
import Type from 'typebox'
import { SessionGrant } from '../auth-api-client.ts'
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
    { schema: { body: ExchangeBody, response: { 200: SessionGrant } } },
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
