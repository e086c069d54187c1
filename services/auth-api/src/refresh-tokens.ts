import { randomUUID } from 'node:crypto'
import { randomToken, sha256Hex } from '@gatehouse/crypto'
import type { Database } from '@gatehouse/db-kit'
import { sql } from 'drizzle-orm'
import type { ClientInfo } from './audit.ts'
import { builtOnce } from './db/prepared.ts'
import { sessions } from './db/schema/index.ts'
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

// The SQL function rotate_refresh_token (migration 0002) holds the rules and the lock order; see its comment.
const rotateStatement = builtOnce((db) =>
  db
    .select({
      outcome: sql<'rotated' | 'repeated' | 'reused' | 'rejected'>`outcome`,
      userId: sql<string>`user_id`,
      sessionId: sql<string>`session_id`,
      sessionExpiresAt: sql<Date>`session_expires_at`.mapWith(sessions.expiresAt),
      familyId: sql<string>`family_id`,
      successorCiphertext: sql<string | null>`successor_ciphertext`,
    })
    .from(
      sql`rotate_refresh_token(${sql.placeholder('tokenHash')}, ${sql.placeholder('successorId')}, ${sql.placeholder('successorHash')}, ${sql.placeholder('successorCiphertext')}, ${sql.placeholder('now')}, ${sql.placeholder('graceSeconds')}, ${sql.placeholder('ip')}, ${sql.placeholder('userAgent')})`,
    )
    .prepare('rotate_refresh_token'),
)

/**
 * Rotation with reuse detection in one round trip. The successor is minted here before the call (the database
 * keeps only its hash, and a copy sealed under a key derived from the presented token for the grace window).
 */
export async function rotateRefreshToken(
  db: Database,
  presented: string,
  settings: RotationSettings,
): Promise<RotationOutcome> {
  if (!isWellFormedRefreshToken(presented)) return { kind: 'rejected' }
  const successor = randomToken()
  const rotate = (graceSeconds: number) =>
    rotateStatement(db).execute({
      tokenHash: hashRefreshToken(presented),
      successorId: randomUUID(),
      successorHash: hashRefreshToken(successor),
      successorCiphertext: graceSeconds > 0 ? sealSuccessor(presented, successor) : null,
      now: settings.now.toISOString(),
      graceSeconds,
      ip: settings.client.ip,
      userAgent: settings.client.userAgent ?? null,
    })
  let [row] = await rotate(settings.graceSeconds)
  if (row?.outcome === 'repeated') {
    const repeated = row.successorCiphertext ? openSuccessor(presented, row.successorCiphertext) : undefined
    if (repeated)
      return { kind: 'repeated', refreshToken: repeated, ...granted(row) }
      // A sealed successor that does not open under the presented token was tampered with: treat it as reuse
      // (a negative window is no grace at all).
    ;[row] = await rotate(-1)
  }
  if (!row || row.outcome === 'rejected') return { kind: 'rejected' }
  if (row.outcome === 'reused') {
    return { kind: 'reused', userId: row.userId, sessionId: row.sessionId, familyId: row.familyId }
  }
  return { kind: 'rotated', refreshToken: successor, ...granted(row) }
}

function granted(row: { userId: string; sessionId: string; sessionExpiresAt: Date }) {
  return { userId: row.userId, sessionId: row.sessionId, sessionExpiresAt: row.sessionExpiresAt }
}
