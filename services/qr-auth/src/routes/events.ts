import { PassThrough } from 'node:stream'
import { type Clock, SECURITY, type ServiceInstance } from '@gatehouse/service-kit'
import Type, { type Static } from 'typebox'
import Value from 'typebox/value'
import type { DesktopSessions, SessionSnapshot } from '../desktop-sessions.ts'
import { errors } from '../errors.ts'
import { pollTokenOf } from '../http/client.ts'
import { DateTime, PollTokenHeaders, PollTokenQuery, SessionParams, Status, Uuid } from '../http/schemas.ts'
import { FINAL_STATUSES, type QrStatus, statusOf } from '../session-status.ts'
import type { SessionWatch } from '../session-watch.ts'

/** The data of each `status` event. No secret ever travels on the stream: the token comes from a poll. */
export const StatusEvent = Type.Object({ id: Uuid, status: Status, expiresAt: DateTime })
type StatusEvent = Static<typeof StatusEvent>

// How long EventSource waits before reconnecting when the stream breaks.
const RECONNECT_MS = 2000

export interface EventRouteDeps {
  desktop: DesktopSessions
  watch: SessionWatch
  clock: Clock
  heartbeatSeconds: number
}

/**
 * GET /api/qr/sessions/:id/events: server-sent events for the desktop, authorised by the poll token. The current
 * status first, then each change as it happens; the stream ends after a final status (approved: now poll for
 * the exchange token; rejected; expired; exchanged). A comment line every heartbeat keeps proxies from timing
 * the quiet stream out.
 */
export async function eventRoutes(app: ServiceInstance, deps: EventRouteDeps) {
  const { desktop, watch, clock } = deps

  app.get(
    '/:id/events',
    {
      config: { problems: [errors.POLL_TOKEN_INVALID, errors.SESSION_OUTDATED] },
      schema: {
        summary: 'Watch a QR login (server-sent events)',
        description: 'Needs the poll token (?pollToken= for an EventSource).',
        security: SECURITY.public,
        params: SessionParams,
        headers: PollTokenHeaders,
        querystring: PollTokenQuery,
        // Each event's data is checked against StatusEvent as it is written.
        response: { 200: Type.Unsafe<PassThrough>({ description: 'text/event-stream of `status` events' }) },
      },
    },
    async (request, reply) => {
      const { id } = request.params
      const session = await desktop.authorize(id, pollTokenOf(request))
      const stream = new PassThrough()
      let last: QrStatus | undefined
      let finished = false
      let unwatch = () => {}
      const finish = () => {
        if (finished) return
        finished = true
        clearInterval(heartbeat)
        unwatch()
        stream.end()
      }
      const send = (snapshot: SessionSnapshot) => {
        if (finished || snapshot.status === last) return
        last = snapshot.status
        const data: StatusEvent = { id, status: snapshot.status, expiresAt: snapshot.expiresAt.toISOString() }
        Value.Assert(StatusEvent, data)
        stream.write(`event: status\ndata: ${JSON.stringify(data)}\n\n`)
        if (FINAL_STATUSES.has(snapshot.status)) finish()
      }
      const heartbeat = setInterval(() => stream.write(': keep-alive\n\n'), deps.heartbeatSeconds * 1000)
      reply.raw.on('close', finish)

      stream.write(`retry: ${RECONNECT_MS}\n\n`)
      unwatch = watch.watch(id, { update: send, end: finish })
      send({ id, status: statusOf(session, clock()), expiresAt: session.expiresAt })
      return reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('x-accel-buffering', 'no')
        .send(stream)
    },
  )
}
