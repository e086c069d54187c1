import { randomUUID } from 'node:crypto'
import { randomToken } from '@gatehouse/crypto'
import type { Database } from '@gatehouse/db-kit'
import { addSeconds } from '@gatehouse/service-kit'
import { and, desc, eq, gt, isNull, ne, sql } from 'drizzle-orm'
import { type AuditEntry, auditRow, type ClientInfo } from './audit.ts'
import { builtOnce, prepared } from './db/prepared.ts'
import {
  type AuditEvent,
  auditLogs,
  refreshTokens,
  type Session,
  sessions,
  type User,
  users,
} from './db/schema/index.ts'
import { hashRefreshToken } from './refresh-tokens.ts'

export interface OpenedSession {
  sessionId: string
  expiresAt: Date
  refreshToken: string
}

export type RevokeReason =
  | 'logout'
  | 'logout_all'
  | 'revoked_by_user'
  | 'token_reuse'
  | 'password_changed'
  | 'password_reset'
  | 'sign_in_method_changed'

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

const activeSessionStatement = builtOnce((db) =>
  db
    .select({ session: sessions, user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(
      and(
        eq(sessions.id, sql.placeholder('sessionId')),
        eq(sessions.userId, sql.placeholder('userId')),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, sql.placeholder('now')),
      ),
    )
    .prepare('select_active_session'),
)

/** The session an access token names, with its user, if it is neither revoked nor expired. */
export async function findActiveSession(
  db: Database,
  input: { sessionId: string; userId: string; now: Date },
): Promise<{ session: Session; user: User } | undefined> {
  const [row] = await activeSessionStatement(db).execute({
    sessionId: input.sessionId,
    userId: input.userId,
    now: input.now.toISOString(),
  })
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

/** The audit event written for each revoked session. */
export interface RevocationAudit {
  event: AuditEvent
  client: ClientInfo
  details?: Record<string, unknown>
}

// The SQL function revoke_sessions (migration 0002) holds the lock order; see its comment.
const revokeStatement = builtOnce((db) =>
  db
    .select({ id: sql<string>`session_id`, userId: sql<string>`user_id` })
    .from(
      sql`revoke_sessions(${sql.placeholder('userId')}, ${sql.placeholder('sessionId')}, ${sql.placeholder('tokenHash')}, ${sql.placeholder('reason')}, ${sql.placeholder('now')}, ${sql.placeholder('auditEvent')}, ${sql.placeholder('auditDetails')}, ${sql.placeholder('ip')}, ${sql.placeholder('userAgent')})`,
    )
    .prepare('revoke_sessions'),
)

/** Revokes the selected live sessions and every refresh token in them, in one round trip. */
export function revokeSessions(
  db: Database,
  input: { which: SessionSelector; reason: RevokeReason; now: Date; audit?: RevocationAudit },
): Promise<RevokedSession[]> {
  const { which, audit } = input
  return revokeStatement(db).execute({
    userId: 'userId' in which ? which.userId : null,
    sessionId: 'sessionId' in which ? which.sessionId : null,
    tokenHash: 'refreshTokenHash' in which ? which.refreshTokenHash : null,
    reason: input.reason,
    now: input.now.toISOString(),
    auditEvent: audit?.event ?? null,
    auditDetails: audit ? JSON.stringify(audit.details ?? {}) : null,
    ip: audit?.client.ip ?? null,
    userAgent: audit?.client.userAgent ?? null,
  })
}

/** Every live session of the user but one (the caller's own): after a password change. */
export async function revokeOtherSessions(
  db: Database,
  input: { userId: string; keepSessionId: string; reason: RevokeReason; now: Date },
): Promise<RevokedSession[]> {
  const others = await db
    .select({ id: sessions.id })
    .from(sessions)
    .where(
      and(
        eq(sessions.userId, input.userId),
        ne(sessions.id, input.keepSessionId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, input.now),
      ),
    )
  const revoked: RevokedSession[] = []
  for (const { id } of others) {
    revoked.push(
      ...(await revokeSessions(db, {
        which: { userId: input.userId, sessionId: id },
        reason: input.reason,
        now: input.now,
      })),
    )
  }
  return revoked
}
