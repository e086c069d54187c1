import type { Database } from '@gatehouse/db-kit'
import { addSeconds } from '@gatehouse/service-kit'
import { and, eq, gt, isNull, sql } from 'drizzle-orm'
import { type ClientInfo, recordAudit } from './audit.ts'
import { isUniqueViolation } from './db/errors.ts'
import {
  type EmailTokenPurpose,
  emailVerificationTokens,
  passwordResetTokens,
  type User,
  users,
} from './db/schema/index.ts'
import { errors } from './errors.ts'
import { mintOneTimeToken, parseOneTimeToken, secretMatches } from './one-time-tokens.ts'

/** A link token for `email` (the account's own, or the one it changes to); the caller mails it. */
export async function issueEmailToken(
  db: Database,
  input: { userId: string; email: string; purpose: EmailTokenPurpose; now: Date; ttlSeconds: number },
): Promise<string> {
  const minted = mintOneTimeToken()
  await db.insert(emailVerificationTokens).values({
    id: minted.id,
    userId: input.userId,
    purpose: input.purpose,
    email: input.email,
    tokenHash: minted.hash,
    expiresAt: addSeconds(input.now, input.ttlSeconds),
    createdAt: input.now,
  })
  return minted.token
}

const invalidLink = () =>
  errors.INVALID_TOKEN('The link is invalid, expired or already used; ask for a new one.')

/**
 * Redeems a mailed link once: `verify` marks the address verified, `change` makes the new address the
 * account's (verified) email. Two concurrent redemptions race on one conditional UPDATE: exactly one wins.
 */
export async function confirmEmailToken(
  db: Database,
  input: { token: string; now: Date; client: ClientInfo },
): Promise<{ user: User; purpose: EmailTokenPurpose }> {
  const { now, client } = input
  const presented = parseOneTimeToken(input.token)
  if (!presented) throw invalidLink()
  const [row] = await db
    .select()
    .from(emailVerificationTokens)
    .where(eq(emailVerificationTokens.id, presented.id))
  if (!row || !secretMatches(presented, row.tokenHash) || row.usedAt || row.expiresAt <= now)
    throw invalidLink()

  return db.transaction(async (tx) => {
    const [claimed] = await tx
      .update(emailVerificationTokens)
      .set({ usedAt: now })
      .where(
        and(
          eq(emailVerificationTokens.id, row.id),
          isNull(emailVerificationTokens.usedAt),
          gt(emailVerificationTokens.expiresAt, now),
        ),
      )
      .returning({ id: emailVerificationTokens.id })
    if (!claimed) throw invalidLink()

    if (row.purpose === 'verify') {
      // Only while the account still has this address: a link for an address changed away from proves nothing.
      const [user] = await tx
        .update(users)
        .set({ emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, ${now.toISOString()}::timestamptz)` })
        .where(and(eq(users.id, row.userId), eq(users.email, row.email)))
        .returning()
      if (!user) throw invalidLink()
      await recordAudit(tx, {
        event: 'EMAIL_VERIFIED',
        at: now,
        client,
        userId: user.id,
        details: { email: user.email },
      })
      return { user, purpose: row.purpose }
    }

    const [before] = await tx
      .select({ email: users.email })
      .from(users)
      .where(eq(users.id, row.userId))
      .for('update')
    if (!before) throw invalidLink()
    let user: User | undefined
    try {
      ;[user] = await tx
        .update(users)
        .set({ email: row.email, emailVerifiedAt: now, updatedAt: now })
        .where(eq(users.id, row.userId))
        .returning()
    } catch (error) {
      if (isUniqueViolation(error))
        throw errors.EMAIL_TAKEN('Another account took this email address in the meantime.')
      throw error
    }
    if (!user) throw invalidLink()
    // Links mailed to the old address (a reset, a verification) must not outlive the change.
    await tx
      .update(passwordResetTokens)
      .set({ usedAt: now })
      .where(and(eq(passwordResetTokens.userId, user.id), isNull(passwordResetTokens.usedAt)))
    await tx
      .update(emailVerificationTokens)
      .set({ usedAt: now })
      .where(and(eq(emailVerificationTokens.userId, user.id), isNull(emailVerificationTokens.usedAt)))
    await recordAudit(tx, {
      event: 'EMAIL_CHANGED',
      at: now,
      client,
      userId: user.id,
      details: { from: before.email, to: user.email },
    })
    return { user, purpose: row.purpose }
  })
}
