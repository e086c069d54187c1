import type { Database } from '@gatehouse/db-kit'
import { type Clock, SECURITY, type ServiceInstance } from '@gatehouse/service-kit'
import Type from 'typebox'
import type { AccessTokens } from '../access-tokens.ts'
import { requestEmailChange } from '../account.ts'
import type { AccountMail } from '../account-mail.ts'
import { confirmEmailToken } from '../email-verification.ts'
import { errors } from '../errors.ts'
import { authenticate } from '../http/authenticate.ts'
import { clientInfo } from '../http/client-info.ts'
import { type MailLimits, mailLimits } from '../http/mail-limits.ts'
import { Accepted, BearerHeaders, Email, Password, PresentedToken, UserView } from '../http/schemas.ts'
import type { LockoutPolicy } from '../lockout.ts'
import { userView } from '../users.ts'
import { AUTHENTICATION_PROBLEMS, RATE_LIMITED } from './problems.ts'

export interface EmailRouteDeps {
  db: Database
  clock: Clock
  accessTokens: AccessTokens
  accountMail: AccountMail
  lockout: LockoutPolicy
  limits: MailLimits
}

/** /api/auth: confirming an address (after sign-up or a change), resending the link, changing the address. */
export async function emailRoutes(app: ServiceInstance, deps: EmailRouteDeps) {
  const { db, clock, accountMail, lockout, limits } = deps

  app.post(
    '/verify-email',
    {
      config: { problems: [errors.INVALID_TOKEN, errors.EMAIL_TAKEN] },
      schema: {
        summary: 'Confirm an email address',
        description: 'With the token of a mailed link (after sign-up, or for a change of address).',
        security: SECURITY.public,
        body: Type.Object({ token: PresentedToken }),
        response: {
          200: Type.Object({
            user: UserView,
            purpose: Type.Union([Type.Literal('verify'), Type.Literal('change')]),
          }),
        },
      },
    },
    async (request, reply) => {
      const { user, purpose } = await confirmEmailToken(db, {
        token: request.body.token,
        now: clock(),
        client: clientInfo(request),
      })
      reply.header('cache-control', 'no-store')
      return { user: userView(user), purpose }
    },
  )

  app.post(
    '/verify-email/resend',
    {
      preHandler: mailLimits(app, 'verify-resend', limits, 'email'),
      config: { problems: [RATE_LIMITED] },
      schema: {
        summary: 'Resend the verification link',
        description: 'The same answer for every address; only an unverified account gets a link.',
        security: SECURITY.public,
        body: Type.Object({ email: Email }),
        response: { 202: Accepted },
      },
    },
    async (request, reply) => {
      // Looked up after the answer: known, unknown and already verified addresses answer alike.
      deps.accountMail.requestVerificationResend(request.body.email)
      reply.code(202)
      return {
        accepted: true as const,
        message: 'If this address belongs to an unverified account, a new link is on its way.',
      }
    },
  )

  app.post(
    '/email/change',
    {
      preHandler: mailLimits(app, 'email-change', limits, 'newEmail'),
      config: {
        problems: [
          ...AUTHENTICATION_PROBLEMS,
          errors.CURRENT_PASSWORD_INCORRECT,
          errors.EMAIL_UNCHANGED,
          errors.EMAIL_TAKEN,
          RATE_LIMITED,
        ],
      },
      schema: {
        summary: 'Change my email address',
        description:
          'Mails a link to the new address (the change takes effect when it is opened); the password is required unless the account has none.',
        security: SECURITY.user,
        headers: BearerHeaders,
        body: Type.Object({ newEmail: Email, password: Type.Optional(Password) }),
        response: { 202: Type.Object({ pendingEmail: Type.String(), message: Type.String() }) },
      },
    },
    async (request, reply) => {
      const { user } = await authenticate(deps, request)
      const newEmail = await requestEmailChange(db, {
        user,
        newEmail: request.body.newEmail,
        ...(request.body.password === undefined ? {} : { password: request.body.password }),
        now: clock(),
        client: clientInfo(request),
        lockout,
      })
      accountMail.sendEmailChange(user, newEmail)
      reply.code(202)
      return {
        pendingEmail: newEmail,
        message: 'Open the link mailed to the new address; the change takes effect then.',
      }
    },
  )
}
