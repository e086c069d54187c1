import { hashPassword } from '@gatehouse/crypto'
import type { Database } from '@gatehouse/db-kit'
import { addSeconds } from '@gatehouse/service-kit'
import { and, eq, gt, isNull, sql } from 'drizzle-orm'
import { type ClientInfo, recordAudit } from './audit.ts'
import { passwordResetTokens, type User, users } from './db/schema/index.ts'
import { errors } from './errors.ts'
import { mintOneTimeToken, parseOneTimeToken, secretMatches } from './one-time-tokens.ts'
import { assertPasswordPolicy } from './password-policy.ts'
import { revokeSessions } from './sessions.ts'
import { normalizeEmail } from './users.ts'

/**
 * The token to mail, or undefined for an unknown email. Runs after the answer has gone (see the route), so
 * callers cannot tell the two apart by timing either.
 */
export async function requestPasswordReset(
  db: Database,
  input: { email: string; now: Date; ttlSeconds: number; client: ClientInfo },
): Promise<{ user: User; token: string } | undefined> {
  const { now, client } = input
  const [user] = await db
    .select()
    .from(users)
    .where(eq(users.email, normalizeEmail(input.email)))
  if (!user) return undefined
  const minted = mintOneTimeToken()
  await db.transaction(async (tx) => {
    await tx.insert(passwordResetTokens).values({
      id: minted.id,
      userId: user.id,
      tokenHash: minted.hash,
      expiresAt: addSeconds(now, input.ttlSeconds),
      requestedIp: client.ip,
      createdAt: now,
    })
    await recordAudit(tx, { event: 'PASSWORD_RESET_REQUESTED', at: now, client, userId: user.id })
  })
  return { user, token: minted.token }
}

const invalidLink = () =>
  errors.INVALID_TOKEN('The reset link is invalid, expired or already used; ask for a new one.')

/**
 * Sets the new password (under the policy) with a mailed token, once: every session of the user is revoked, every
 * other reset link dies, the lockout counter is cleared and the email counts as verified (the link proved the
 * mailbox). Two concurrent redemptions race on one conditional UPDATE: exactly one wins.
 */
export async function resetPassword(
  db: Database,
  input: { token: string; password: string; now: Date; client: ClientInfo },
): Promise<{ user: User; revokedSessionIds: string[] }> {
  const { now, client } = input
  const presented = parseOneTimeToken(input.token)
  if (!presented) throw invalidLink()
  const [found] = await db
    .select({ token: passwordResetTokens, user: users })
    .from(passwordResetTokens)
    .innerJoin(users, eq(users.id, passwordResetTokens.userId))
    .where(eq(passwordResetTokens.id, presented.id))
  if (
    !found ||
    !secretMatches(presented, found.token.tokenHash) ||
    found.token.usedAt ||
    found.token.expiresAt <= now
  )
    throw invalidLink()
  assertPasswordPolicy(input.password, found.user)
  const passwordHash = await hashPassword(input.password)

  return db.transaction(async (tx) => {
    const [claimed] = await tx
      .update(passwordResetTokens)
      .set({ usedAt: now })
      .where(
        and(
          eq(passwordResetTokens.id, found.token.id),
          isNull(passwordResetTokens.usedAt),
          gt(passwordResetTokens.expiresAt, now),
        ),
      )
      .returning({ id: passwordResetTokens.id })
    if (!claimed) throw invalidLink()
    await tx
      .update(passwordResetTokens)
      .set({ usedAt: now })
      .where(and(eq(passwordResetTokens.userId, found.user.id), isNull(passwordResetTokens.usedAt)))
    const [user] = await tx
      .update(users)
      .set({
        passwordHash,
        failedLoginCount: 0,
        lockedUntil: null,
        emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, ${now.toISOString()}::timestamptz)`,
        updatedAt: now,
      })
      .where(eq(users.id, found.user.id))
      .returning()
    if (!user) throw invalidLink()
    const revoked = await revokeSessions(tx, { which: { userId: user.id }, reason: 'password_reset', now })
    await recordAudit(tx, {
      event: 'PASSWORD_RESET',
      at: now,
      client,
      userId: user.id,
      details: { revokedSessions: revoked.length },
    })
    return { user, revokedSessionIds: revoked.map((session) => session.id) }
  })
}
