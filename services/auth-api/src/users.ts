import { hashPassword } from '@gatehouse/crypto'
import type { Database } from '@gatehouse/db-kit'
import { type ClientInfo, recordAudit } from './audit.ts'
import { type User, users } from './db/schema/index.ts'
import { errors } from './errors.ts'
import { type OpenedSession, openSession } from './sessions.ts'

/** Seed 003: emails are stored lower-case; the column's CHECK refuses anything else. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase()
}

export interface UserView {
  id: string
  email: string
  name: string
  emailVerified: boolean
  createdAt: string
}

export function userView(user: User): UserView {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    emailVerified: user.emailVerifiedAt !== null,
    createdAt: user.createdAt.toISOString(),
  }
}

export interface Registration {
  email: string
  name: string
  password: string
  client: ClientInfo
  now: Date
  sessionTtlSeconds: number
  /** false while sign-up must wait for the verification link (REQUIRE_EMAIL_VERIFICATION). */
  openSession?: boolean
}

/** Creates the user and its first session in one transaction. The password policy is checked by the caller. */
export async function registerUser(
  db: Database,
  input: Registration,
): Promise<{ user: User; session: OpenedSession | undefined }> {
  // Hashed before the email is looked at, so a taken email answers no faster than a free one.
  const passwordHash = await hashPassword(input.password)
  return db.transaction(async (tx) => {
    const [user] = await tx
      .insert(users)
      .values({
        email: normalizeEmail(input.email),
        name: input.name.trim(),
        passwordHash,
        createdAt: input.now,
        updatedAt: input.now,
      })
      .onConflictDoNothing({ target: users.email })
      .returning()
    if (!user) throw errors.EMAIL_TAKEN('This email cannot be used to register.')
    if (input.openSession === false) {
      await recordAudit(tx, { event: 'REGISTER', at: input.now, client: input.client, userId: user.id })
      return { user, session: undefined }
    }
    const session = await openSession(tx, {
      userId: user.id,
      client: input.client,
      now: input.now,
      ttlSeconds: input.sessionTtlSeconds,
      audit: { event: 'REGISTER' },
    })
    return { user, session }
  })
}
