import { SECURITY, type ServiceInstance } from '@gatehouse/service-kit'
import Type from 'typebox'
import type { Approvals, Decision } from '../approvals.ts'
import { errors } from '../errors.ts'
import { phoneUserOf } from '../http/client.ts'
import { DateTime, RequesterView, SessionParams, Uuid } from '../http/schemas.ts'
import type { SessionWatch } from '../session-watch.ts'

const ScannedSession = Type.Object({
  id: Uuid,
  status: Type.Literal('scanned'),
  requester: RequesterView,
  expiresAt: DateTime,
})

const DecidedSession = Type.Object({
  id: Uuid,
  status: Type.Union([Type.Literal('approved'), Type.Literal('rejected')]),
})

// Codes are 22 characters; the cap only keeps junk out.
const ScanBody = Type.Object({ code: Type.String({ minLength: 1, maxLength: 128 }) })

/**
 * /api/qr/sessions/:id/{scan,approve,reject}: the signed-in phone's calls. Its user comes from the gateway's signed
 * context (made from the user's bearer token), hence `caller: 'user'`: without a user the route answers
 * LOGIN_REQUIRED; service-kit documents the INTERNAL_CONTEXT_INVALID of a context that does not verify.
 */
export async function phoneRoutes(
  app: ServiceInstance,
  { approvals, watch }: { approvals: Approvals; watch: SessionWatch },
) {
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store')
  })

  app.post(
    '/:id/scan',
    {
      config: {
        caller: 'user',
        problems: [
          errors.LOGIN_REQUIRED,
          errors.SESSION_NOT_FOUND,
          errors.SESSION_OUTDATED,
          errors.CODE_INVALID,
          errors.SESSION_ALREADY_SCANNED,
          errors.SESSION_EXPIRED,
          errors.CODE_EXPIRED,
        ],
      },
      schema: {
        summary: 'Scan a QR code',
        description:
          'The signed-in phone claims the session with the code from the QR; answers which device is asking. Only this user can approve or reject it afterwards.',
        security: SECURITY.user,
        params: SessionParams,
        body: ScanBody,
        response: { 200: ScannedSession },
      },
    },
    async (request) => {
      const { id } = request.params
      const session = await approvals.scan(id, request.body.code, phoneUserOf(request))
      watch.changed(id)
      return {
        id,
        status: 'scanned' as const,
        requester: {
          ip: session.requesterIp,
          userAgent: session.requesterUserAgent,
          requestedAt: session.createdAt.toISOString(),
        },
        expiresAt: session.expiresAt.toISOString(),
      }
    },
  )

  const decisions: Record<Decision, 'approved' | 'rejected'> = { approve: 'approved', reject: 'rejected' }
  for (const [decision, status] of Object.entries(decisions) as [Decision, 'approved' | 'rejected'][]) {
    app.post(
      `/:id/${decision}`,
      {
        config: {
          caller: 'user',
          problems: [
            errors.LOGIN_REQUIRED,
            errors.SESSION_NOT_FOUND,
            errors.SESSION_OUTDATED,
            errors.SESSION_NOT_SCANNED,
            errors.SESSION_CLAIMED,
            errors.SESSION_ALREADY_DECIDED,
            errors.SESSION_EXPIRED,
          ],
        },
        schema: {
          summary: decision === 'approve' ? 'Approve a QR login' : 'Reject a QR login',
          security: SECURITY.user,
          params: SessionParams,
          body: Type.Union([Type.Object({}), Type.Null()]),
          response: { 200: DecidedSession },
        },
      },
      async (request) => {
        const { id } = request.params
        await approvals.decide(decision, id, phoneUserOf(request))
        watch.changed(id)
        return { id, status }
      },
    )
  }
}
