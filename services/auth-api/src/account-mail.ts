import type { Database } from '@gatehouse/db-kit'
import type { Clock } from '@gatehouse/service-kit'
import { eq } from 'drizzle-orm'
import type { ClientInfo } from './audit.ts'
import type { BackgroundTasks } from './background-tasks.ts'
import { users } from './db/schema/index.ts'
import { issueEmailToken } from './email-verification.ts'
import type { Mailer } from './mail/mailer.ts'
import {
  changeEmailMail,
  emailChangeRequestedMail,
  passwordChangedMail,
  passwordResetMail,
  tokenLink,
  verifyEmailMail,
} from './mail/templates.ts'
import { requestPasswordReset } from './password-reset.ts'
import { normalizeEmail } from './users.ts'

export interface AccountMailSettings {
  appUrl: string
  verificationTtlSeconds: number
  resetTtlSeconds: number
}

/**
 * The mails of the account's life. Each runs after the answer has gone (BackgroundTasks): a slow or failing SMTP
 * server never slows or fails a request, and the password-reset request does all of its work there.
 */
export interface AccountMail {
  sendVerification(user: { id: string; email: string }): void
  /** Looks the address up after the answer: only an unverified account gets a new link. */
  requestVerificationResend(email: string): void
  sendEmailChange(user: { id: string; email: string }, newEmail: string): void
  requestPasswordReset(email: string, client: ClientInfo): void
  notifyPasswordChanged(email: string): void
}

export function createAccountMail(deps: {
  db: Database
  clock: Clock
  mailer: Mailer
  tasks: BackgroundTasks
  settings: AccountMailSettings
}): AccountMail {
  const { db, clock, mailer, tasks, settings } = deps
  const hours = Math.round(settings.verificationTtlSeconds / 3600)
  const link = (path: string, token: string) => tokenLink(settings.appUrl, path, token)

  // No audit event for sending a link: the log records the mail, audit_logs the security events it leads to.
  async function mailVerification(user: { id: string; email: string }) {
    const now = clock()
    const token = await issueEmailToken(db, {
      userId: user.id,
      email: user.email,
      purpose: 'verify',
      now,
      ttlSeconds: settings.verificationTtlSeconds,
    })
    await mailer.send(verifyEmailMail(user.email, link('/verify-email', token), hours))
  }

  return {
    sendVerification(user) {
      tasks.run('verification mail', () => mailVerification(user))
    },

    requestVerificationResend(email) {
      tasks.run('verification resend', async () => {
        const [user] = await db
          .select()
          .from(users)
          .where(eq(users.email, normalizeEmail(email)))
        if (user && user.emailVerifiedAt === null) await mailVerification(user)
      })
    },

    sendEmailChange(user, newEmail) {
      tasks.run('email change mail', async () => {
        const token = await issueEmailToken(db, {
          userId: user.id,
          email: newEmail,
          purpose: 'change',
          now: clock(),
          ttlSeconds: settings.verificationTtlSeconds,
        })
        await mailer.send(changeEmailMail(newEmail, link('/verify-email', token), hours))
        await mailer.send(emailChangeRequestedMail(user.email, newEmail))
      })
    },

    requestPasswordReset(email, client) {
      tasks.run('password reset', async () => {
        const issued = await requestPasswordReset(db, {
          email,
          now: clock(),
          ttlSeconds: settings.resetTtlSeconds,
          client,
        })
        if (!issued) return
        const minutes = Math.round(settings.resetTtlSeconds / 60)
        await mailer.send(
          passwordResetMail(issued.user.email, link('/reset-password', issued.token), minutes),
        )
      })
    },

    notifyPasswordChanged(email) {
      tasks.run('password changed mail', () => mailer.send(passwordChangedMail(email)))
    },
  }
}
