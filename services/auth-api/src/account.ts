import { hashPassword, verifyPassword } from '@gatehouse/crypto'
import type { Database } from '@gatehouse/db-kit'
import { eq, sql } from 'drizzle-orm'
import { type ClientInfo, recordAudit } from './audit.ts'
import { type User, users } from './db/schema/index.ts'
import { errors } from './errors.ts'
import { type LockoutPolicy, lockedUntilAfterFailure } from './lockout.ts'
import { assertPasswordPolicy } from './password-policy.ts'
import { revokeOtherSessions } from './sessions.ts'
import { normalizeEmail } from './users.ts'

/**
 * The current password of a signed-in user, for changes that need it. A wrong one counts towards the same
 * lockout as failed logins (a stolen access token must not become a password oracle), and a locked account is
 * refused whatever is typed.
 */
export async function confirmCurrentPassword(
  db: Database,
  input: { user: User; password: string; now: Date; client: ClientInfo; lockout: LockoutPolicy },
): Promise<void> {
  const { user, now } = input
  if (!user.passwordHash)
    throw errors.NO_PASSWORD('This account has no password; set one with a password reset first.')
  const locked = user.lockedUntil !== null && user.lockedUntil > now
  const verified = !locked && (await verifyPassword(user.passwordHash, input.password))
  if (verified) return
  if (!locked) {
    await db
      .update(users)
      .set({
        failedLoginCount: sql`${users.failedLoginCount} + 1`,
        lockedUntil: lockedUntilAfterFailure(input.lockout, now),
      })
      .where(eq(users.id, user.id))
  }
  await recordAudit(db, {
    event: 'PASSWORD_CONFIRMATION_FAILED',
    at: now,
    client: input.client,
    userId: user.id,
    details: { reason: locked ? 'account_locked' : 'wrong_password' },
  })
  throw errors.CURRENT_PASSWORD_INCORRECT('The current password is incorrect.')
}

/** The current password when the account has one (OAuth-only accounts have none to give). */
export async function confirmPasswordIfSet(
  db: Database,
  input: { user: User; password: string | undefined; now: Date; client: ClientInfo; lockout: LockoutPolicy },
): Promise<void> {
  if (!input.user.passwordHash) return
  if (input.password === undefined)
    throw errors.CURRENT_PASSWORD_INCORRECT('Send your current password as "password".')
  await confirmCurrentPassword(db, { ...input, password: input.password })
}

/** New password under the policy; every other session of the user is signed out, the caller's stays. */
export async function changePassword(
  db: Database,
  input: {
    user: User
    sessionId: string
    currentPassword: string
    newPassword: string
    now: Date
    client: ClientInfo
    lockout: LockoutPolicy
  },
): Promise<{ revokedSessionIds: string[] }> {
  const { user, now, client } = input
  await confirmCurrentPassword(db, { ...input, password: input.currentPassword })
  assertPasswordPolicy(input.newPassword, user, '/body/newPassword')
  const passwordHash = await hashPassword(input.newPassword)
  return db.transaction(async (tx) => {
    await tx
      .update(users)
      .set({ passwordHash, failedLoginCount: 0, lockedUntil: null, updatedAt: now })
      .where(eq(users.id, user.id))
    const revoked = await revokeOtherSessions(tx, {
      userId: user.id,
      keepSessionId: input.sessionId,
      reason: 'password_changed',
      now,
    })
    await recordAudit(tx, {
      event: 'PASSWORD_CHANGED',
      at: now,
      client,
      userId: user.id,
      sessionId: input.sessionId,
      details: { revokedSessions: revoked.length },
    })
    return { revokedSessionIds: revoked.map((session) => session.id) }
  })
}

/**
 * Checks a requested email change (password when the account has one, address free and different). The change
 * itself happens only when the link mailed to the new address is opened.
 */
export async function requestEmailChange(
  db: Database,
  input: {
    user: User
    newEmail: string
    password?: string
    now: Date
    client: ClientInfo
    lockout: LockoutPolicy
  },
): Promise<string> {
  const { user, now } = input
  const newEmail = normalizeEmail(input.newEmail)
  await confirmPasswordIfSet(db, { ...input, password: input.password })
  if (newEmail === user.email) throw errors.EMAIL_UNCHANGED('This is already the account’s email address.')
  const [taken] = await db.select({ id: users.id }).from(users).where(eq(users.email, newEmail))
  if (taken) throw errors.EMAIL_TAKEN('This email address cannot be used.')
  await recordAudit(db, {
    event: 'EMAIL_CHANGE_REQUESTED',
    at: now,
    client: input.client,
    userId: user.id,
    details: { from: user.email, to: newEmail },
  })
  return newEmail
}
