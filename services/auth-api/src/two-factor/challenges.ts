import type { Database } from '@gatehouse/db-kit'
import { addSeconds } from '@gatehouse/service-kit'
import { and, eq, gt, isNull } from 'drizzle-orm'
import { type ClientInfo, recordAudit } from '../audit.ts'
import { mfaChallenges, type User, users } from '../db/schema/index.ts'
import { errors } from '../errors.ts'
import { mintOneTimeToken, parseOneTimeToken, secretMatches } from '../one-time-tokens.ts'
import { type OpenedSession, openSession } from '../sessions.ts'
import { checkSecondFactor, rejectCode, type TwoFactorDeps } from './two-factor.ts'

export interface IssuedChallenge {
  token: string
  expiresAt: Date
}

/** The first factor passed (`password`, `oauth:<provider>`): the session waits for a second one. */
export async function issueMfaChallenge(
  db: Database,
  input: { userId: string; firstFactor: string; now: Date; ttlSeconds: number; client: ClientInfo },
): Promise<IssuedChallenge> {
  const { now } = input
  const minted = mintOneTimeToken()
  const expiresAt = addSeconds(now, input.ttlSeconds)
  await db.insert(mfaChallenges).values({
    id: minted.id,
    userId: input.userId,
    tokenHash: minted.hash,
    firstFactor: input.firstFactor,
    expiresAt,
    createdAt: now,
  })
  await recordAudit(db, {
    event: 'TWO_FACTOR_CHALLENGE_ISSUED',
    at: now,
    client: input.client,
    userId: input.userId,
    details: { firstFactor: input.firstFactor },
  })
  return { token: minted.token, expiresAt }
}

const invalidChallenge = () =>
  errors.MFA_CHALLENGE_INVALID('The sign-in challenge is unknown, expired or used; sign in again.')

/**
 * The second step: a valid code for the challenge's user opens the session, once. The challenge row is locked
 * first and stays locked until the session is open: a concurrent redemption of the same challenge waits, then
 * finds it spent, and spends no code of its own. A wrong code leaves the challenge usable (until it expires or
 * the lockout starts): the check is answered inside, and counted after, the transaction.
 */
export async function completeMfaChallenge(
  db: Database,
  deps: TwoFactorDeps,
  input: { token: string; code: string; now: Date; client: ClientInfo; sessionTtlSeconds: number },
): Promise<{ user: User; session: OpenedSession }> {
  const { now, client } = input
  const presented = parseOneTimeToken(input.token)
  if (!presented) throw invalidChallenge()
  const [found] = await db
    .select({ challenge: mfaChallenges, user: users })
    .from(mfaChallenges)
    .innerJoin(users, eq(users.id, mfaChallenges.userId))
    .where(eq(mfaChallenges.id, presented.id))
  if (
    !found ||
    !secretMatches(presented, found.challenge.tokenHash) ||
    found.challenge.usedAt ||
    found.challenge.expiresAt <= now
  )
    throw invalidChallenge()
  const { user, challenge } = found
  const outcome = await db.transaction(async (tx) => {
    const [live] = await tx
      .select({ id: mfaChallenges.id })
      .from(mfaChallenges)
      .where(
        and(
          eq(mfaChallenges.id, challenge.id),
          isNull(mfaChallenges.usedAt),
          gt(mfaChallenges.expiresAt, now),
        ),
      )
      .for('update')
    if (!live) throw invalidChallenge()
    const checked = await checkSecondFactor(tx, deps, { user, now, client, code: input.code })
    if (!checked.ok) return checked
    await tx.update(mfaChallenges).set({ usedAt: now }).where(eq(mfaChallenges.id, challenge.id))
    const session = await openSession(tx, {
      userId: user.id,
      client,
      now,
      ttlSeconds: input.sessionTtlSeconds,
      audit: {
        event: 'LOGIN_SUCCESS',
        details: { method: challenge.firstFactor, secondFactor: checked.factor },
      },
    })
    return { ok: true as const, session }
  })
  if (!outcome.ok) return rejectCode(db, deps, { user, now, client }, outcome.reason)
  return { user, session: outcome.session }
}
