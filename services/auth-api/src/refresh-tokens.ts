import { randomUUID } from 'node:crypto'
import { randomToken, sha256Hex } from '@gatehouse/crypto'
import type { Database } from '@gatehouse/db-kit'
import { and, eq, gt, isNull, sql } from 'drizzle-orm'
import { auditRow, type ClientInfo, recordAudit } from './audit.ts'
import { addSeconds } from './clock.ts'
import { prepared } from './db/prepared.ts'
import { auditLogs, refreshTokens, sessions } from './db/schema/index.ts'
import { openSuccessor, sealSuccessor } from './successor-seal.ts'

// randomToken(32): 43 base64url characters. Anything else is refused before touching the database.
const REFRESH_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/

export function isWellFormedRefreshToken(token: string): boolean {
  return REFRESH_TOKEN_SHAPE.test(token)
}

/** Refresh tokens carry 256 random bits, so a plain SHA-256 is enough to make the stored value useless. */
export function hashRefreshToken(token: string): string {
  return sha256Hex(token)
}

interface Granted {
  refreshToken: string
  userId: string
  sessionId: string
  sessionExpiresAt: Date
}

export type RotationOutcome =
  /** A new token in the same family; the presented one is now used. */
  | ({ kind: 'rotated' } & Granted)
  /** The presented token was rotated moments ago (another tab): the same successor again, nothing new minted. */
  | ({ kind: 'repeated' } & Granted)
  /** The presented token was rotated before the grace window: family and session are now revoked. */
  | { kind: 'reused'; userId: string; sessionId: string; familyId: string }
  /** Unknown token, or its session is revoked or expired. */
  | { kind: 'rejected' }

export interface RotationSettings {
  now: Date
  graceSeconds: number
  client: ClientInfo
}

/**
 * Rotation with reuse detection (seed 001, RFC 9700 section 4.14.2). Every refresh of a session first takes
 * the session's row lock (the UPDATE of last_used_at), then reads the token: concurrent refreshes of one
 * family run one after the other and the second sees what the first wrote. The lock order (session, then
 * its tokens) is the one logout and revocation use too.
 */
export async function rotateRefreshToken(
  db: Database,
  presented: string,
  settings: RotationSettings,
): Promise<RotationOutcome> {
  if (!isWellFormedRefreshToken(presented)) return { kind: 'rejected' }
  const tokenHash = hashRefreshToken(presented)
  const { now } = settings
  return db.transaction(async (tx) => {
    const [session] = await prepared(
      tx
        .update(sessions)
        .set({ lastUsedAt: now })
        .where(
          and(
            eq(
              sessions.id,
              sql`(select ${refreshTokens.sessionId} from ${refreshTokens} where ${refreshTokens.tokenHash} = ${tokenHash})`,
            ),
            isNull(sessions.revokedAt),
            gt(sessions.expiresAt, now),
          ),
        )
        .returning({ id: sessions.id, expiresAt: sessions.expiresAt }),
      'lock_session_of_token',
    )
    if (!session) return { kind: 'rejected' }

    const [token] = await prepared(
      tx
        .select({
          id: refreshTokens.id,
          userId: refreshTokens.userId,
          sessionId: refreshTokens.sessionId,
          familyId: refreshTokens.familyId,
          replacedBy: refreshTokens.replacedBy,
          successorCiphertext: refreshTokens.successorCiphertext,
          usedAt: refreshTokens.usedAt,
          revoked: refreshTokens.revoked,
          expiresAt: refreshTokens.expiresAt,
        })
        .from(refreshTokens)
        .where(eq(refreshTokens.tokenHash, tokenHash)),
      'select_refresh_token',
    )
    if (!token || token.revoked || token.expiresAt <= now) return { kind: 'rejected' }
    const granted = { userId: token.userId, sessionId: session.id, sessionExpiresAt: session.expiresAt }

    if (token.usedAt === null) {
      const successor = randomToken()
      const successorId = randomUUID()
      // One statement: the successor, the parent marked used, and the audit event.
      const insertSuccessor = tx.$with('successor').as(
        tx
          .insert(refreshTokens)
          .values({
            id: successorId,
            userId: token.userId,
            sessionId: token.sessionId,
            familyId: token.familyId,
            parentId: token.id,
            tokenHash: hashRefreshToken(successor),
            expiresAt: token.expiresAt,
            createdAt: now,
          })
          .returning({ id: refreshTokens.id }),
      )
      const markParentUsed = tx.$with('parent').as(
        tx
          .update(refreshTokens)
          .set({
            usedAt: now,
            replacedBy: successorId,
            successorCiphertext: settings.graceSeconds > 0 ? sealSuccessor(presented, successor) : null,
          })
          .where(eq(refreshTokens.id, token.id))
          .returning({ id: refreshTokens.id }),
      )
      await prepared(
        tx
          .with(insertSuccessor, markParentUsed)
          .insert(auditLogs)
          .values(
            auditRow({
              event: 'TOKEN_REFRESHED',
              at: now,
              client: settings.client,
              userId: token.userId,
              sessionId: token.sessionId,
            }),
          ),
        'rotate_refresh_token',
      )
      return { kind: 'rotated', refreshToken: successor, ...granted }
    }

    const withinGrace = now.getTime() <= addSeconds(token.usedAt, settings.graceSeconds).getTime()
    if (withinGrace && token.replacedBy && token.successorCiphertext) {
      // Only one step back: the successor must still be the family's live token.
      const [successor] = await tx
        .select({ usedAt: refreshTokens.usedAt, revoked: refreshTokens.revoked })
        .from(refreshTokens)
        .where(eq(refreshTokens.id, token.replacedBy))
      const successorToken = openSuccessor(presented, token.successorCiphertext)
      if (successor && successor.usedAt === null && !successor.revoked && successorToken) {
        return { kind: 'repeated', refreshToken: successorToken, ...granted }
      }
    }

    await tx
      .update(sessions)
      .set({ revokedAt: now, revokedReason: 'token_reuse' })
      .where(eq(sessions.id, token.sessionId))
    await tx
      .update(refreshTokens)
      .set({ revoked: true, revokedReason: 'token_reuse', revokedAt: now })
      .where(and(eq(refreshTokens.familyId, token.familyId), eq(refreshTokens.revoked, false)))
    await recordAudit(tx, {
      event: 'TOKEN_REUSE_ATTACK',
      at: now,
      client: settings.client,
      userId: token.userId,
      sessionId: token.sessionId,
      details: { familyId: token.familyId, tokenId: token.id, rotatedAt: token.usedAt.toISOString() },
    })
    return { kind: 'reused', userId: token.userId, sessionId: token.sessionId, familyId: token.familyId }
  })
}
