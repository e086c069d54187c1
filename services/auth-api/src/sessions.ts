import { randomUUID } from 'node:crypto'
import { randomToken } from '@gatehouse/crypto'
import type { Database } from '@gatehouse/db-kit'
import { and, desc, eq, gt, inArray, isNull, type SQL, sql } from 'drizzle-orm'
import { type AuditEntry, auditRow, type ClientInfo } from './audit.ts'
import { addSeconds } from './clock.ts'
import { prepared } from './db/prepared.ts'
import { auditLogs, refreshTokens, type Session, sessions, type User, users } from './db/schema/index.ts'
import { hashRefreshToken } from './refresh-tokens.ts'

export interface OpenedSession {
  sessionId: string
  expiresAt: Date
  refreshToken: string
}

export type RevokeReason = 'logout' | 'logout_all' | 'revoked_by_user' | 'token_reuse'

/**
 * A device login in one statement: the session row, the first refresh token of its family, and the audit event
 * (LOGIN_SUCCESS, REGISTER, ...) of whoever opened it.
 */
export async function openSession(
  db: Database,
  input: {
    userId: string
    client: ClientInfo
    now: Date
    ttlSeconds: number
    audit: Pick<AuditEntry, 'event' | 'details'>
  },
): Promise<OpenedSession> {
  const { userId, client, now } = input
  const sessionId = randomUUID()
  const expiresAt = addSeconds(now, input.ttlSeconds)
  const refreshToken = randomToken()
  const insertSession = db.$with('new_session').as(
    db
      .insert(sessions)
      .values({
        id: sessionId,
        userId,
        userAgent: client.userAgent ?? null,
        ip: client.ip,
        createdAt: now,
        lastUsedAt: now,
        expiresAt,
      })
      .returning({ id: sessions.id }),
  )
  const insertToken = db.$with('new_token').as(
    db
      .insert(refreshTokens)
      .values({
        userId,
        sessionId,
        familyId: randomUUID(),
        tokenHash: hashRefreshToken(refreshToken),
        expiresAt,
        createdAt: now,
      })
      .returning({ id: refreshTokens.id }),
  )
  await prepared(
    db
      .with(insertSession, insertToken)
      .insert(auditLogs)
      .values(auditRow({ ...input.audit, at: now, client, userId, sessionId })),
    'open_session',
  )
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

export type SessionSelector =
  | { userId: string; sessionId: string }
  | { userId: string }
  /** The session a refresh token (any of its family, used or not) belongs to: logout by refresh token. */
  | { refreshTokenHash: string }

export interface RevokedSession {
  id: string
  userId: string
}

function selected(which: SessionSelector): SQL | undefined {
  if ('refreshTokenHash' in which) {
    return eq(
      sessions.id,
      sql`(select ${refreshTokens.sessionId} from ${refreshTokens} where ${refreshTokens.tokenHash} = ${which.refreshTokenHash})`,
    )
  }
  if ('sessionId' in which) return and(eq(sessions.userId, which.userId), eq(sessions.id, which.sessionId))
  return eq(sessions.userId, which.userId)
}

/**
 * Revokes the selected live sessions and every refresh token in them, with the audit events auditFor returns,
 * in two statements. Sessions are locked first, the order refresh uses too, so a logout racing a refresh cannot
 * deadlock; the tokens are then revoked in a fresh snapshot, which sees a successor that refresh just committed.
 */
export async function revokeSessions(
  tx: Database,
  input: {
    which: SessionSelector
    reason: RevokeReason
    now: Date
    auditFor: (revoked: RevokedSession[]) => AuditEntry[]
  },
): Promise<RevokedSession[]> {
  const revoked = await prepared(
    tx
      .update(sessions)
      .set({ revokedAt: input.now, revokedReason: input.reason })
      .where(and(selected(input.which), isNull(sessions.revokedAt)))
      .returning({ id: sessions.id, userId: sessions.userId }),
    'revoke_sessions',
  )
  if (revoked.length === 0) return revoked
  const revokeTokens = tx
    .update(refreshTokens)
    .set({ revoked: true, revokedReason: input.reason, revokedAt: input.now })
    .where(
      and(
        inArray(
          refreshTokens.sessionId,
          revoked.map((session) => session.id),
        ),
        eq(refreshTokens.revoked, false),
      ),
    )
  const entries = input.auditFor(revoked)
  if (entries.length === 0) {
    await prepared(revokeTokens, 'revoke_session_tokens')
  } else {
    // Tokens and audit events in one statement.
    const revokedTokens = tx.$with('revoked_tokens').as(revokeTokens.returning({ id: refreshTokens.id }))
    await prepared(
      tx.with(revokedTokens).insert(auditLogs).values(entries.map(auditRow)),
      'revoke_tokens_and_audit',
    )
  }
  return revoked
}
