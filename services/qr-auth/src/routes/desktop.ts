import { SECURITY, type ServiceInstance } from '@gatehouse/service-kit'
import Type from 'typebox'
import type { DesktopSessions } from '../desktop-sessions.ts'
import { errors } from '../errors.ts'
import { pollTokenOf, requesterOf } from '../http/client.ts'
import {
  DateTime,
  PollToken,
  PollTokenHeaders,
  PollTokenQuery,
  SessionParams,
  Status,
  Uuid,
} from '../http/schemas.ts'

const QrView = Type.Object({
  /** What the QR encodes: the approve page with the session id and the current one-time code. */
  payload: Type.String(),
  expiresAt: DateTime,
})

const CreatedSession = Type.Object({
  id: Uuid,
  status: Type.Literal('pending'),
  /** Shown once: authorises every later call of the desktop (x-qr-poll-token). */
  pollToken: PollToken,
  expiresAt: DateTime,
  /** RFC 8628: seconds between polls. */
  interval: Type.Integer(),
  qr: QrView,
})

const PolledSession = Type.Object({
  id: Uuid,
  status: Status,
  expiresAt: DateTime,
  interval: Type.Integer(),
  /** Only in the first answer after the approval. */
  exchangeToken: Type.Optional(Type.String()),
})

/** Builds the QR payload: the approve page with the session and its code. */
export type PayloadOf = (sessionId: string, code: string) => string

export interface DesktopRouteDeps {
  desktop: DesktopSessions
  payloadOf: PayloadOf
}

/** /api/qr/sessions, the desktop's calls: start a QR login, poll it, rotate its code. */
export async function desktopRoutes(app: ServiceInstance, { desktop, payloadOf }: DesktopRouteDeps) {
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store')
  })

  app.post(
    '/',
    {
      config: { problems: [] },
      schema: {
        summary: 'Start a QR login',
        description:
          'For a desktop that is not signed in: answers the QR payload and, once, the poll token every later desktop call needs.',
        security: SECURITY.public,
        body: Type.Union([Type.Object({}), Type.Null()]),
        response: { 201: CreatedSession },
      },
    },
    async (request, reply) => {
      const { session, pollToken, code } = await desktop.create(requesterOf(request))
      reply.code(201)
      return {
        id: session.id,
        status: 'pending' as const,
        pollToken,
        expiresAt: session.expiresAt.toISOString(),
        interval: session.pollInterval,
        qr: { payload: payloadOf(session.id, code), expiresAt: session.codeExpiresAt.toISOString() },
      }
    },
  )

  app.get(
    '/:id',
    {
      config: { problems: [errors.POLL_TOKEN_INVALID, errors.SESSION_OUTDATED, errors.SLOW_DOWN] },
      schema: {
        summary: 'Poll a QR login',
        description:
          'Needs the poll token (x-qr-poll-token, or ?pollToken=). RFC 8628 polling: the first answer after the approval carries the exchange token.',
        security: SECURITY.public,
        params: SessionParams,
        headers: PollTokenHeaders,
        querystring: PollTokenQuery,
        response: { 200: PolledSession },
      },
    },
    async (request) => {
      const answer = await desktop.poll(request.params.id, pollTokenOf(request))
      return { ...answer, expiresAt: answer.expiresAt.toISOString() }
    },
  )

  app.post(
    '/:id/refresh',
    {
      config: {
        problems: [
          errors.POLL_TOKEN_INVALID,
          errors.SESSION_OUTDATED,
          errors.SESSION_EXPIRED,
          errors.SESSION_NOT_PENDING,
          errors.CODE_EXPIRED,
        ],
      },
      schema: {
        summary: 'Show a new QR code',
        description: 'Needs the poll token; the code shown until now can no longer be scanned.',
        security: SECURITY.public,
        params: SessionParams,
        headers: PollTokenHeaders,
        querystring: PollTokenQuery,
        body: Type.Union([Type.Object({}), Type.Null()]),
        response: { 200: Type.Object({ id: Uuid, qr: QrView }) },
      },
    },
    async (request) => {
      const { id } = request.params
      const { code, expiresAt } = await desktop.refreshCode(id, pollTokenOf(request))
      return { id, qr: { payload: payloadOf(id, code), expiresAt: expiresAt.toISOString() } }
    },
  )
}
