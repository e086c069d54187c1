import type { Database } from '@gatehouse/db-kit'
import { type Clock, SECURITY, type ServiceInstance } from '@gatehouse/service-kit'
import Type from 'typebox'
import type { AccessTokens } from '../access-tokens.ts'
import { changePassword } from '../account.ts'
import type { AccountMail } from '../account-mail.ts'
import { errors } from '../errors.ts'
import { authenticate } from '../http/authenticate.ts'
import { clientInfo } from '../http/client-info.ts'
import { type MailLimits, mailLimits } from '../http/mail-limits.ts'
import { Accepted, BearerHeaders, Email, Password, PresentedToken } from '../http/schemas.ts'
import type { LockoutPolicy } from '../lockout.ts'
import { resetPassword } from '../password-reset.ts'
import type { SessionRevocations } from '../session-revocations.ts'
import { AUTHENTICATION_PROBLEMS, RATE_LIMITED } from './problems.ts'

export interface PasswordRouteDeps {
  db: Database
  clock: Clock
  accessTokens: AccessTokens
  accountMail: AccountMail
  lockout: LockoutPolicy
  limits: MailLimits
  /** Tells the gateway which sessions a reset or change ended. */
  revocations: SessionRevocations
}

const RevokedSessions = Type.Object({ revokedSessions: Type.Integer({ minimum: 0 }) })

/** /api/auth: forgotten password (mailed link), and changing it while signed in. */
export async function passwordRoutes(app: ServiceInstance, deps: PasswordRouteDeps) {
  const { db, clock, accountMail, lockout, limits } = deps

  app.post(
    '/password-reset',
    {
      preHandler: mailLimits(app, 'password-reset', limits, 'email'),
      config: { problems: [RATE_LIMITED] },
      schema: {
        summary: 'Ask for a password reset link',
        description: 'The same answer for known and unknown addresses.',
        security: SECURITY.public,
        body: Type.Object({ email: Email }),
        response: { 202: Accepted },
      },
    },
    async (request, reply) => {
      // Nothing is looked up before answering: a known and an unknown email get the same answer in the same time.
      accountMail.requestPasswordReset(request.body.email, clientInfo(request))
      reply.code(202)
      return {
        accepted: true as const,
        message: 'If an account has this email address, a reset link is on its way.',
      }
    },
  )

  app.post(
    '/password-reset/confirm',
    {
      config: { problems: [errors.INVALID_TOKEN, errors.WEAK_PASSWORD] },
      schema: {
        summary: 'Set a new password with a reset link',
        description: 'Ends every session of the account.',
        security: SECURITY.public,
        body: Type.Object({ token: PresentedToken, password: Password }),
        response: { 200: RevokedSessions },
      },
    },
    async (request, reply) => {
      const { user, revokedSessionIds } = await resetPassword(db, {
        ...request.body,
        now: clock(),
        client: clientInfo(request),
      })
      deps.revocations.revoked(revokedSessionIds)
      accountMail.notifyPasswordChanged(user.email)
      reply.header('cache-control', 'no-store')
      return { revokedSessions: revokedSessionIds.length }
    },
  )

  app.post(
    '/password/change',
    {
      config: {
        problems: [
          ...AUTHENTICATION_PROBLEMS,
          errors.NO_PASSWORD,
          errors.CURRENT_PASSWORD_INCORRECT,
          errors.WEAK_PASSWORD,
        ],
      },
      schema: {
        summary: 'Change my password',
        description: 'Ends every other session of the account.',
        security: SECURITY.user,
        headers: BearerHeaders,
        body: Type.Object({ currentPassword: Password, newPassword: Password }),
        response: { 200: RevokedSessions },
      },
    },
    async (request) => {
      const { user, session } = await authenticate(deps, request)
      const { revokedSessionIds } = await changePassword(db, {
        user,
        sessionId: session.id,
        ...request.body,
        now: clock(),
        client: clientInfo(request),
        lockout,
      })
      deps.revocations.revoked(revokedSessionIds)
      accountMail.notifyPasswordChanged(user.email)
      return { revokedSessions: revokedSessionIds.length }
    },
  )
}
