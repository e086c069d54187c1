import type { Database } from '@gatehouse/db-kit'
import { addSeconds } from '@gatehouse/service-kit'
import { and, eq, gt, isNull } from 'drizzle-orm'
import { type ClientInfo, recordAudit } from '../audit.ts'
import { mfaChallenges, type User, users } from '../db/schema/index.ts'
import { errors } from '../errors.ts'
import { mintOneTimeToken, parseOneTimeToken, secretMatches } from '../one-time-tokens.ts'
import { type OpenedSession, openSession } from '../sessions.ts'
import { type TwoFactorDeps, verifySecondFactor } from './two-factor.ts'

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
 * The second step: a valid code for the challenge's user opens the session, once. The code is checked first (a
 * wrong one leaves the challenge usable until it expires or the lockout starts); the challenge is then spent
 * in the transaction that opens the session, so two concurrent redemptions open one session.
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
  const secondFactor = await verifySecondFactor(db, deps, { user, now, client, code: input.code })
  const session = await db.transaction(async (tx) => {
    const [spent] = await tx
      .update(mfaChallenges)
      .set({ usedAt: now })
      .where(
        and(
          eq(mfaChallenges.id, challenge.id),
          isNull(mfaChallenges.usedAt),
          gt(mfaChallenges.expiresAt, now),
        ),
      )
      .returning({ id: mfaChallenges.id })
    if (!spent) throw invalidChallenge()
    return openSession(tx, {
      userId: user.id,
      client,
      now,
      ttlSeconds: input.sessionTtlSeconds,
      audit: { event: 'LOGIN_SUCCESS', details: { method: challenge.firstFactor, secondFactor } },
    })
  })
  return { user, session }
}
