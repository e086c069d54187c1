import type { Database } from '@gatehouse/db-kit'
import { and, count, inArray, isNotNull, lte, or } from 'drizzle-orm'
import {
  emailVerificationTokens,
  mfaChallenges,
  passwordResetTokens,
  refreshTokens,
  sessions,
} from './db/schema/index.ts'

export interface CleanupResult {
  sessions: number
  refreshTokens: number
}

/**
 * Seed 003's cleanup: sessions that expired or were revoked are deleted with their refresh tokens. Tokens of live
 * sessions stay, even rotated ones: they are what reuse detection recognises. Successor boxes older than the
 * grace window are emptied: nothing can open them through the API any more.
 */
export async function cleanupExpiredSessions(
  db: Database,
  input: { now: Date; graceSeconds: number },
): Promise<CleanupResult> {
  const dead = or(lte(sessions.expiresAt, input.now), isNotNull(sessions.revokedAt))
  return db.transaction(async (tx) => {
    const deadSessions = tx.select({ id: sessions.id }).from(sessions).where(dead)
    const [tokens] = await tx
      .select({ count: count() })
      .from(refreshTokens)
      .where(inArray(refreshTokens.sessionId, deadSessions))
    const deleted = await tx.delete(sessions).where(dead).returning({ id: sessions.id })
    const graceEnded = new Date(input.now.getTime() - input.graceSeconds * 1000)
    await tx
      .update(refreshTokens)
      .set({ successorCiphertext: null })
      .where(and(isNotNull(refreshTokens.successorCiphertext), lte(refreshTokens.usedAt, graceEnded)))
    return { sessions: deleted.length, refreshTokens: tokens?.count ?? 0 }
  })
}

export interface TokenCleanupResult {
  emailVerificationTokens: number
  passwordResetTokens: number
  mfaChallenges: number
}

/** Mailed links and sign-in challenges that expired or were used: nothing can redeem them any more. */
export async function cleanupSpentTokens(db: Database, now: Date): Promise<TokenCleanupResult> {
  const [verification, reset, challenges] = await Promise.all([
    db
      .delete(emailVerificationTokens)
      .where(or(lte(emailVerificationTokens.expiresAt, now), isNotNull(emailVerificationTokens.usedAt)))
      .returning({ id: emailVerificationTokens.id }),
    db
      .delete(passwordResetTokens)
      .where(or(lte(passwordResetTokens.expiresAt, now), isNotNull(passwordResetTokens.usedAt)))
      .returning({ id: passwordResetTokens.id }),
    db
      .delete(mfaChallenges)
      .where(or(lte(mfaChallenges.expiresAt, now), isNotNull(mfaChallenges.usedAt)))
      .returning({ id: mfaChallenges.id }),
  ])
  return {
    emailVerificationTokens: verification.length,
    passwordResetTokens: reset.length,
    mfaChallenges: challenges.length,
  }
}
