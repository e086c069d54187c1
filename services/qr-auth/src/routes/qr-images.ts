import { SECURITY, type ServiceInstance } from '@gatehouse/service-kit'
import QRCode from 'qrcode'
import Type from 'typebox'
import type { DesktopSessions } from '../desktop-sessions.ts'
import { errors } from '../errors.ts'
import { pollTokenOf } from '../http/client.ts'
import { PollTokenHeaders, PollTokenQuery, SessionParams } from '../http/schemas.ts'
import type { PayloadOf } from './desktop.ts'

// M recovers from ~15% damage: enough for a screen photographed at an angle, and a smaller code than Q or H.
const QR_OPTIONS = { errorCorrectionLevel: 'M', margin: 2 } as const
const PNG_WIDTH = 320

/**
 * The session's current QR as an image, for the desktop only: the image carries the one-time code, so it needs
 * the poll token like every other desktop call (?pollToken= for an <img src>). Never cached: the code rotates.
 */
export async function qrImageRoutes(
  app: ServiceInstance,
  { desktop, payloadOf }: { desktop: DesktopSessions; payloadOf: PayloadOf },
) {
  const schema = {
    description: 'Needs the poll token (?pollToken= for an <img src>).',
    security: SECURITY.public,
    params: SessionParams,
    headers: PollTokenHeaders,
    querystring: PollTokenQuery,
  }
  // authorize, then currentCode (desktop-sessions.ts)
  const config = {
    problems: [
      errors.POLL_TOKEN_INVALID,
      errors.SESSION_OUTDATED,
      errors.SESSION_EXPIRED,
      errors.SESSION_NOT_PENDING,
      errors.CODE_EXPIRED,
    ],
  }

  const payloadFor = async (id: string, pollToken: string) => {
    const session = await desktop.authorize(id, pollToken)
    return payloadOf(id, desktop.currentCode(session, pollToken).code)
  }

  app.get(
    '/:id/qr.svg',
    { config, schema: { ...schema, summary: 'The QR code as SVG', response: { 200: Type.String() } } },
    async (request, reply) => {
      const payload = await payloadFor(request.params.id, pollTokenOf(request))
      const svg = await QRCode.toString(payload, { ...QR_OPTIONS, type: 'svg' })
      return reply.header('cache-control', 'no-store').type('image/svg+xml; charset=utf-8').send(svg)
    },
  )

  app.get(
    '/:id/qr.png',
    {
      config,
      schema: {
        ...schema,
        summary: 'The QR code as PNG',
        response: { 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }) },
      },
    },
    async (request, reply) => {
      const payload = await payloadFor(request.params.id, pollTokenOf(request))
      const png = await QRCode.toBuffer(payload, { ...QR_OPTIONS, type: 'png', width: PNG_WIDTH })
      return reply.header('cache-control', 'no-store').type('image/png').send(png)
    },
  )
}
