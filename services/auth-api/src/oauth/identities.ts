import type { Database } from '@gatehouse/db-kit'
import { and, asc, eq } from 'drizzle-orm'
import { type ClientInfo, recordAudit } from '../audit.ts'
import { type Identity, identities, users } from '../db/schema/index.ts'
import { errors } from '../errors.ts'

export function listIdentities(db: Database, userId: string): Promise<Identity[]> {
  return db.select().from(identities).where(eq(identities.userId, userId)).orderBy(asc(identities.createdAt))
}

/**
 * Removes one identity, unless it is the account's last way to sign in (no password and no other identity). The
 * user row is locked first, so two concurrent unlinks of a password-less account's two identities cannot both pass.
 */
export async function unlinkIdentity(
  db: Database,
  input: { userId: string; identityId: string; now: Date; client: ClientInfo },
): Promise<void> {
  await db.transaction(async (tx) => {
    const [user] = await tx.select().from(users).where(eq(users.id, input.userId)).for('update')
    if (!user) throw errors.USER_NOT_FOUND('No user has this id.')
    const owned = await tx
      .select()
      .from(identities)
      .where(eq(identities.userId, user.id))
      .orderBy(asc(identities.createdAt))
    const target = owned.find((identity) => identity.id === input.identityId)
    if (!target) throw errors.IDENTITY_NOT_FOUND('No identity of yours has this id.')
    if (!user.passwordHash && owned.length === 1) {
      throw errors.LAST_SIGN_IN_METHOD(
        'This is the only way to sign in to this account: set a password (password reset) or link another provider first.',
      )
    }
    await tx.delete(identities).where(and(eq(identities.id, target.id), eq(identities.userId, user.id)))
    if (user.oauthProvider === target.provider && user.oauthId === target.subject) {
      // Seed 003's columns name the oldest identity left, or none.
      const next = owned.find((identity) => identity.id !== target.id)
      await tx
        .update(users)
        .set({ oauthProvider: next?.provider ?? null, oauthId: next?.subject ?? null })
        .where(eq(users.id, user.id))
    }
    await recordAudit(tx, {
      event: 'OAUTH_UNLINKED',
      at: input.now,
      client: input.client,
      userId: user.id,
      details: { provider: target.provider },
    })
  })
}
