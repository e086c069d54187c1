import type { Database } from '@gatehouse/db-kit'
import { and, eq, isNull } from 'drizzle-orm'
import { type ClientInfo, recordAudit } from '../audit.ts'
import { isUniqueViolation } from '../db/errors.ts'
import { identities, twoFactorBackupCodes, type User, users } from '../db/schema/index.ts'
import { errors } from '../errors.ts'
import { type OpenedSession, openSession, revokeSessions } from '../sessions.ts'
import { type IssuedChallenge, issueMfaChallenge } from '../two-factor/challenges.ts'
import { isTwoFactorEnabled } from '../two-factor/two-factor.ts'
import { normalizeEmail } from '../users.ts'
import type { ProviderIdentity } from './providers.ts'

export type OAuthOutcome = (
  | { kind: 'session'; user: User; session: OpenedSession }
  | { kind: 'mfa'; user: User; challenge: IssuedChallenge }
  | { kind: 'linked'; user: User }
) & {
  /** Sessions of a squatted account that linking by verified email ended. */
  endedSessionIds: string[]
}

export interface OAuthSignInSettings {
  sessionTtlSeconds: number
  mfaChallengeTtlSeconds: number
}

interface Input {
  provider: string
  identity: ProviderIdentity
  /** Set when a signed-in user asked to link this provider. */
  linkUserId?: string
  now: Date
  client: ClientInfo
}

/**
 * What a verified provider identity leads to: the user it is linked to, or (by a verified email only) the account
 * with that email, or a new account; then a session, or the two-factor challenge when the account has 2FA on.
 * A linking request attaches the identity to the signed-in user instead.
 */
export async function signInWithIdentity(
  db: Database,
  input: Input,
  settings: OAuthSignInSettings,
): Promise<OAuthOutcome> {
  let resolved: Resolved | 'linked'
  try {
    resolved = await resolveUser(db, input)
  } catch (error) {
    // Two first sign-ins of the same identity at once: the loser finds what the winner created.
    if (!isUniqueViolation(error)) throw error
    resolved = await resolveUser(db, input)
  }
  if (resolved === 'linked') {
    const [user] = await db
      .select()
      .from(users)
      .where(eq(users.id, input.linkUserId as string))
    if (!user) throw errors.USER_NOT_FOUND('The account to link to no longer exists.')
    return { kind: 'linked', user, endedSessionIds: [] }
  }
  const { user, endedSessionIds = [] } = resolved
  const method = `oauth:${input.provider}`
  if (isTwoFactorEnabled(user)) {
    const challenge = await issueMfaChallenge(db, {
      userId: user.id,
      firstFactor: method,
      now: input.now,
      ttlSeconds: settings.mfaChallengeTtlSeconds,
      client: input.client,
    })
    return { kind: 'mfa', user, challenge, endedSessionIds }
  }
  const session = await openSession(db, {
    userId: user.id,
    client: input.client,
    now: input.now,
    ttlSeconds: settings.sessionTtlSeconds,
    audit: { event: resolved.event ?? 'LOGIN_SUCCESS', details: { method } },
  })
  return { kind: 'session', user, session, endedSessionIds }
}

interface Resolved {
  user: User
  event?: 'REGISTER'
  endedSessionIds?: string[]
}

async function resolveUser(
  db: Database,
  input: Input,
): Promise<{ user: User; event?: 'REGISTER' } | 'linked'> {
  const { provider, identity, now, client } = input
  const email = identity.email ? normalizeEmail(identity.email) : undefined
  const [known] = await db
    .select({ identity: identities, user: users })
    .from(identities)
    .innerJoin(users, eq(users.id, identities.userId))
    .where(and(eq(identities.provider, provider), eq(identities.subject, identity.subject)))

  if (known) {
    if (input.linkUserId && known.user.id !== input.linkUserId) {
      await recordAudit(db, {
        event: 'OAUTH_LOGIN_FAILED',
        at: now,
        client,
        userId: input.linkUserId,
        details: { provider, reason: 'identity_in_use' },
      })
      throw errors.OAUTH_IDENTITY_IN_USE('This provider account already signs in to another account.')
    }
    await db
      .update(identities)
      .set({ lastUsedAt: now, email: email ?? null, emailVerified: identity.emailVerified })
      .where(eq(identities.id, known.identity.id))
    return input.linkUserId ? 'linked' : { user: known.user }
  }

  if (input.linkUserId) {
    await db.transaction(async (tx) => {
      await attachIdentity(tx, input.linkUserId as string, input, email)
      await recordAudit(tx, {
        event: 'OAUTH_LINKED',
        at: now,
        client,
        userId: input.linkUserId,
        details: { provider, how: 'signed_in' },
      })
    })
    return 'linked'
  }

  if (!email) throw errors.OAUTH_EMAIL_REQUIRED(`${provider} shared no email address for this account.`)
  const [existing] = await db.select().from(users).where(eq(users.email, email))
  if (!identity.emailVerified) {
    // Someone may be trying to take over this account through a provider that lets anyone type any address.
    await recordAudit(db, {
      event: 'OAUTH_LOGIN_FAILED',
      at: now,
      client,
      userId: existing?.id ?? null,
      details: { provider, reason: 'email_not_verified' },
    })
    throw errors.OAUTH_EMAIL_NOT_VERIFIED(
      `${provider} has not verified ${email}. Verify it there, or sign in with your password and link ${provider} from your account.`,
    )
  }
  if (existing) return linkByVerifiedEmail(db, existing, input, email)

  return db.transaction(async (tx) => {
    const [user] = await tx
      .insert(users)
      .values({
        email,
        name: (identity.name?.trim() || email.split('@')[0] || email).slice(0, 255),
        passwordHash: null,
        oauthProvider: provider,
        oauthId: identity.subject,
        emailVerifiedAt: now,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
    if (!user) throw errors.EMAIL_TAKEN('This email cannot be used to register.')
    await attachIdentity(tx, user.id, input, email)
    return { user, event: 'REGISTER' as const }
  })
}

/**
 * The provider vouches for the email of an existing account. If that account had not verified its email, its
 * password (and two-factor) may have been set by someone squatting the address (account pre-hijacking): both are
 * removed and its sessions revoked; the owner sets a new password by reset if they want one.
 */
async function linkByVerifiedEmail(
  db: Database,
  existing: User,
  input: Input,
  email: string,
): Promise<Resolved> {
  const { now, client, provider } = input
  return db.transaction(async (tx) => {
    await attachIdentity(tx, existing.id, input, email)
    const squattable = existing.emailVerifiedAt === null
    let user = existing
    let ended: string[] = []
    if (squattable) {
      ;[user = existing] = await tx
        .update(users)
        .set({
          emailVerifiedAt: now,
          passwordHash: null,
          twoFactorSecret: null,
          twoFactorEnabledAt: null,
          twoFactorLastStep: null,
          updatedAt: now,
        })
        .where(eq(users.id, existing.id))
        .returning()
      await tx.delete(twoFactorBackupCodes).where(eq(twoFactorBackupCodes.userId, existing.id))
      const revoked = await revokeSessions(tx, {
        which: { userId: existing.id },
        reason: 'sign_in_method_changed',
        now,
      })
      ended = revoked.map((session) => session.id)
    }
    await recordAudit(tx, {
      event: 'OAUTH_LINKED',
      at: now,
      client,
      userId: existing.id,
      details: {
        provider,
        how: 'verified_email',
        ...(squattable ? { passwordRemoved: existing.passwordHash !== null } : {}),
      },
    })
    return { user, endedSessionIds: ended }
  })
}

async function attachIdentity(db: Database, userId: string, input: Input, email: string | undefined) {
  const { provider, identity, now } = input
  await db.insert(identities).values({
    userId,
    provider,
    subject: identity.subject,
    email: email ?? null,
    emailVerified: identity.emailVerified,
    createdAt: now,
    lastUsedAt: now,
  })
  // Seed 003's columns keep the first identity.
  await db
    .update(users)
    .set({ oauthProvider: provider, oauthId: identity.subject })
    .where(and(eq(users.id, userId), isNull(users.oauthProvider)))
}
