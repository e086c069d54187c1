import { DUMMY_PASSWORD_HASH, hashPassword, passwordNeedsRehash, verifyPassword } from '@gatehouse/crypto'
import type { Database } from '@gatehouse/db-kit'
import { eq, sql } from 'drizzle-orm'
import { type AuditEntry, type ClientInfo, recordAudit } from './audit.ts'
import { prepared } from './db/prepared.ts'
import { type User, users } from './db/schema/index.ts'
import { errors } from './errors.ts'
import { type LockoutPolicy, lockedUntilAfterFailure } from './lockout.ts'
import { type OpenedSession, openSession } from './sessions.ts'
import { type IssuedChallenge, issueMfaChallenge } from './two-factor/challenges.ts'
import { isTwoFactorEnabled } from './two-factor/two-factor.ts'
import { normalizeEmail } from './users.ts'

export interface PasswordLogin {
  email: string
  password: string
  client: ClientInfo
  now: Date
}

/** Resolves true when the password matches the PHC hash; never rejects. */
export type PasswordVerifier = (hash: string, password: string) => Promise<boolean>

export interface LoginSettings {
  lockout: LockoutPolicy
  sessionTtlSeconds: number
  /** REQUIRE_EMAIL_VERIFICATION: the right password of an unverified account answers EMAIL_NOT_VERIFIED. */
  requireVerifiedEmail?: boolean
  /** How long the challenge of an account with two-factor on waits for its code (MFA_CHALLENGE_TTL). */
  mfaChallengeTtlSeconds?: number
  /** argon2id from @gatehouse/crypto; tests pass a spy around it to count what is verified. */
  verifyPassword?: PasswordVerifier
}

/** A session, or, for an account with two-factor on, the challenge that waits for the second factor. */
export type LoginOutcome =
  | { user: User; session: OpenedSession; challenge?: undefined }
  | { user: User; challenge: IssuedChallenge; session?: undefined }

const DEFAULT_MFA_CHALLENGE_TTL = 300

/**
 * Unknown email, wrong password and locked account all end in the same AUTH_API_INVALID_CREDENTIALS after one
 * argon2 verification and the same two writes, so neither the answer nor its timing tells them apart.
 */
export async function loginWithPassword(
  db: Database,
  input: PasswordLogin,
  settings: LoginSettings,
): Promise<LoginOutcome> {
  const email = normalizeEmail(input.email)
  const { now, client } = input
  const [user] = await prepared(db.select().from(users).where(eq(users.email, email)), 'select_user_by_email')
  const locked = user?.lockedUntil != null && user.lockedUntil > now
  const storedHash = user?.passwordHash && !locked ? user.passwordHash : undefined
  const verify = settings.verifyPassword ?? verifyPassword
  const verified = await verify(storedHash ?? DUMMY_PASSWORD_HASH, input.password)

  if (!user || !storedHash || !verified) {
    await recordFailure(db, { email, user, locked, client, now, policy: settings.lockout })
    throw errors.INVALID_CREDENTIALS('The email or password is incorrect.')
  }

  // Parameters raised since this hash was made: store a fresh one now that we hold the password.
  const rehashed = passwordNeedsRehash(storedHash) ? await hashPassword(input.password) : undefined
  if (user.failedLoginCount > 0 || user.lockedUntil !== null || rehashed) {
    await db
      .update(users)
      .set({
        failedLoginCount: 0,
        lockedUntil: null,
        ...(rehashed ? { passwordHash: rehashed, updatedAt: now } : {}),
      })
      .where(eq(users.id, user.id))
  }
  if (settings.requireVerifiedEmail && user.emailVerifiedAt === null) {
    await recordAudit(db, {
      event: 'LOGIN_FAILED',
      at: now,
      client,
      userId: user.id,
      details: { reason: 'email_not_verified' },
    })
    throw errors.EMAIL_NOT_VERIFIED('Open the link we mailed you first (or ask for a new one).')
  }
  if (isTwoFactorEnabled(user)) {
    const challenge = await issueMfaChallenge(db, {
      userId: user.id,
      firstFactor: 'password',
      now,
      ttlSeconds: settings.mfaChallengeTtlSeconds ?? DEFAULT_MFA_CHALLENGE_TTL,
      client,
    })
    return { user, challenge }
  }
  const session = await openSession(db, {
    userId: user.id,
    client,
    now,
    ttlSeconds: settings.sessionTtlSeconds,
    audit: {
      event: 'LOGIN_SUCCESS',
      details: { method: 'password', ...(rehashed ? { passwordRehashed: true } : {}) },
    },
  })
  return { user, session }
}

async function recordFailure(
  db: Database,
  input: {
    email: string
    user?: User
    locked: boolean
    client: ClientInfo
    now: Date
    policy: LockoutPolicy
  },
): Promise<void> {
  const { now, client } = input
  const failed = (reason: string, userId?: string): AuditEntry => ({
    event: 'LOGIN_FAILED',
    at: now,
    client,
    userId,
    details: { reason },
  })
  if (input.locked) {
    // Attempts during a lock neither count nor extend it.
    await recordAudit(db, failed('account_locked', input.user?.id))
    return
  }
  // Runs for unknown emails too (matching no row), so both paths make the same round trips.
  const [counted] = await db
    .update(users)
    .set({
      failedLoginCount: sql`${users.failedLoginCount} + 1`,
      lockedUntil: lockedUntilAfterFailure(input.policy, now),
    })
    .where(eq(users.email, input.email))
    .returning({ id: users.id, failedLoginCount: users.failedLoginCount, lockedUntil: users.lockedUntil })
  const entries = [failed(counted ? 'wrong_password' : 'unknown_email', counted?.id)]
  if (
    counted?.lockedUntil &&
    counted.lockedUntil > now &&
    counted.failedLoginCount >= input.policy.threshold
  ) {
    entries.push({
      event: 'ACCOUNT_LOCKED',
      at: now,
      client,
      userId: counted.id,
      details: { failedAttempts: counted.failedLoginCount, lockedUntil: counted.lockedUntil.toISOString() },
    })
  }
  await recordAudit(db, ...entries)
}
