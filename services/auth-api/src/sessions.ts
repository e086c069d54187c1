import { randomUUID } from 'node:crypto'
import type { Database } from '@gatehouse/db-kit'
import { and, desc, eq, gt, isNull } from 'drizzle-orm'
import type { ClientInfo } from './audit.ts'
import { addSeconds } from './clock.ts'
import { prepared } from './db/prepared.ts'
import { refreshTokens, type Session, sessions, type User, users } from './db/schema/index.ts'
import { issueRefreshToken } from './refresh-tokens.ts'

export interface OpenedSession {
  sessionId: string
  expiresAt: Date
  refreshToken: string
}

export type RevokeReason = 'logout' | 'logout_all' | 'revoked_by_user' | 'token_reuse'

/** A device login: the session row and the first refresh token of its family. Run it inside a transaction. */
export async function openSession(
  tx: Database,
  input: { userId: string; client: ClientInfo; now: Date; ttlSeconds: number },
): Promise<OpenedSession> {
  const sessionId = randomUUID()
  const expiresAt = addSeconds(input.now, input.ttlSeconds)
  await prepared(
    tx.insert(sessions).values({
      id: sessionId,
      userId: input.userId,
      userAgent: input.client.userAgent ?? null,
      ip: input.client.ip,
      createdAt: input.now,
      lastUsedAt: input.now,
      expiresAt,
    }),
    'insert_session',
  )
  const refreshToken = await issueRefreshToken(tx, {
    userId: input.userId,
    sessionId,
    familyId: randomUUID(),
    expiresAt,
    now: input.now,
  })
  return { sessionId, expiresAt, refreshToken }
}

/** The session an access token names, with its user, if it is neither revoked nor expired. */
export async function findActiveSession(
  db: Database,
  input: { sessionId: string; userId: string; now: Date },
): Promise<{ session: Session; user: User } | undefined> {
  const [row] = await prepared(
    db
      .select({ session: sessions, user: users })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(
        and(
          eq(sessions.id, input.sessionId),
          eq(sessions.userId, input.userId),
          isNull(sessions.revokedAt),
          gt(sessions.expiresAt, input.now),
        ),
      ),
    'select_active_session',
  )
  return row
}

export async function listActiveSessions(db: Database, userId: string, now: Date): Promise<Session[]> {
  return db
    .select()
    .from(sessions)
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)))
    .orderBy(desc(sessions.lastUsedAt))
}

/**
 * Revokes one of the user's sessions (or all of them) and every refresh token in them; answers the ids revoked.
 * Sessions are locked before their tokens, the order refresh uses too, so a logout racing a refresh cannot deadlock.
 */
export async function revokeSessions(
  tx: Database,
  input: { userId: string; sessionId?: string; reason: RevokeReason; now: Date },
): Promise<string[]> {
  const sessionScope = input.sessionId
    ? and(eq(sessions.userId, input.userId), eq(sessions.id, input.sessionId))
    : eq(sessions.userId, input.userId)
  const revoked = await prepared(
    tx
      .update(sessions)
      .set({ revokedAt: input.now, revokedReason: input.reason })
      .where(and(sessionScope, isNull(sessions.revokedAt)))
      .returning({ id: sessions.id }),
    'revoke_sessions',
  )
  if (revoked.length === 0) return []
  const tokenScope = input.sessionId
    ? and(eq(refreshTokens.userId, input.userId), eq(refreshTokens.sessionId, input.sessionId))
    : eq(refreshTokens.userId, input.userId)
  await prepared(
    tx
      .update(refreshTokens)
      .set({ revoked: true, revokedReason: input.reason, revokedAt: input.now })
      .where(and(tokenScope, eq(refreshTokens.revoked, false))),
    'revoke_session_tokens',
  )
  return revoked.map((row) => row.id)
}
