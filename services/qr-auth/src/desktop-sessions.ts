import { safeEqual } from '@gatehouse/crypto'
import type { Database } from '@gatehouse/db-kit'
import { addSeconds, type Clock } from '@gatehouse/service-kit'
import { and, eq, inArray, sql } from 'drizzle-orm'
import { type AuthSession, authSessions, type StoredStatus } from './db/schema/index.ts'
import { digestOf, exchangeTokenFor, newPollToken, qrCodeFor } from './desktop-secrets.ts'
import { errors } from './errors.ts'
import { type QrStatus, statusOf } from './session-status.ts'

export interface DesktopSettings {
  sessionTtlSeconds: number
  codeTtlSeconds: number
  pollIntervalSeconds: number
}

export interface Requester {
  ip: string
  userAgent?: string
}

export interface SessionSnapshot {
  id: string
  status: QrStatus
  expiresAt: Date
}

export type PollAnswer = SessionSnapshot & { interval: number; exchangeToken?: string }

// Compared against when no session has the id, so an unknown id costs what a wrong token costs.
const NO_SESSION_DIGEST = digestOf('no such session')

/**
 * The desktop's side of a QR login: create, read with the poll token, poll, rotate the code. Every call is
 * authorised by the poll token, compared in constant time with the stored hash.
 */
export function createDesktopSessions(db: Database, deps: { clock: Clock; settings: DesktopSettings }) {
  const { clock, settings } = deps
  const insert = db
    .insert(authSessions)
    .values({
      pollTokenHash: sql.placeholder('pollTokenHash'),
      codeHash: sql.placeholder('codeHash'),
      codeExpiresAt: sql.placeholder('codeExpiresAt'),
      pollInterval: sql.placeholder('pollInterval'),
      expiresAt: sql.placeholder('expiresAt'),
      exchangeToken: sql.placeholder('exchangeToken'),
      requesterIp: sql.placeholder('requesterIp'),
      requesterUserAgent: sql.placeholder('requesterUserAgent'),
      createdAt: sql.placeholder('createdAt'),
    })
    .returning()
    .prepare('insert_qr_session')
  const byId = db
    .select()
    .from(authSessions)
    .where(eq(authSessions.id, sql.placeholder('id')))
    .prepare('qr_session_by_id')
  const pollStatement = db
    .select({
      status: sql<StoredStatus>`session_status`,
      isExchanged: sql<boolean>`exchanged`,
      exchangeable: sql<boolean>`exchangeable`,
      expiresAt: sql`session_expires_at`.mapWith(authSessions.expiresAt),
      interval: sql<number>`interval_seconds`,
      accepted: sql<boolean>`accepted`,
      deliverToken: sql<boolean>`deliver_token`,
    })
    .from(sql`poll_qr_session(${sql.placeholder('id')}, ${sql.placeholder('asOf')})`)
    .prepare('poll_qr_session')
  const rotate = db
    .update(authSessions)
    .set({
      codeVersion: sql`${authSessions.codeVersion} + 1`,
      codeHash: sql`${sql.placeholder('codeHash')}`,
      codeExpiresAt: sql`${sql.placeholder('codeExpiresAt')}`,
    })
    .where(
      and(
        eq(authSessions.id, sql.placeholder('id')),
        eq(authSessions.status, 'pending'),
        eq(authSessions.codeVersion, sql.placeholder('seenVersion')),
      ),
    )
    .returning()
    .prepare('rotate_qr_code')

  /** The session, if `pollToken` is its poll token; otherwise POLL_TOKEN_INVALID, the same for unknown ids. */
  async function authorize(id: string, pollToken: string): Promise<AuthSession> {
    const [row] = await byId.execute({ id })
    const matches = safeEqual(digestOf(pollToken), row?.pollTokenHash ?? NO_SESSION_DIGEST)
    if (!row || !matches) {
      throw errors.POLL_TOKEN_INVALID(`Send the poll token of session ${id} in x-qr-poll-token.`)
    }
    // Rows from before the exchange-token migration carry no exchange token and can never yield a login.
    if (row.exchangeToken === null) throw errors.SESSION_OUTDATED('Start a new QR login.')
    return row
  }

  /** The code the QR shows now, while the session waits for a scan. */
  function currentCode(session: AuthSession, pollToken: string): { code: string; expiresAt: Date } {
    const now = clock()
    const status = statusOf(session, now)
    if (status === 'expired') throw errors.SESSION_EXPIRED('Start a new QR login.')
    if (status !== 'pending') throw errors.SESSION_NOT_PENDING(`The session is ${status}.`)
    if (now >= session.codeExpiresAt) {
      throw errors.CODE_EXPIRED('Ask for a fresh code: POST /api/qr/sessions/:id/refresh.')
    }
    return { code: qrCodeFor(pollToken, session.codeVersion), expiresAt: session.codeExpiresAt }
  }

  function codeExpiry(now: Date, sessionExpiresAt: Date): Date {
    const expiresAt = addSeconds(now, settings.codeTtlSeconds)
    return expiresAt < sessionExpiresAt ? expiresAt : sessionExpiresAt
  }

  return {
    authorize,
    currentCode,

    async create(requester: Requester) {
      const pollToken = newPollToken()
      const now = clock()
      const expiresAt = addSeconds(now, settings.sessionTtlSeconds)
      const code = qrCodeFor(pollToken, 0)
      const [session] = await insert.execute({
        pollTokenHash: digestOf(pollToken),
        codeHash: digestOf(code),
        codeExpiresAt: codeExpiry(now, expiresAt),
        pollInterval: settings.pollIntervalSeconds,
        expiresAt,
        exchangeToken: digestOf(exchangeTokenFor(pollToken)),
        requesterIp: requester.ip,
        requesterUserAgent: requester.userAgent ?? null,
        createdAt: now,
      })
      if (!session) throw new Error('insert returned no row')
      return { session, pollToken, code }
    },

    /**
     * RFC 8628 polling: SLOW_DOWN (with the grown interval) when it comes too early; the exchange token in the
     * first accepted answer after the approval, and never again.
     */
    async poll(id: string, pollToken: string): Promise<PollAnswer> {
      await authorize(id, pollToken)
      const [polled] = await pollStatement.execute({ id, asOf: clock().toISOString() })
      if (!polled) throw errors.POLL_TOKEN_INVALID('The session is gone.')
      if (!polled.accepted) {
        throw errors
          .SLOW_DOWN(`Poll at most every ${polled.interval} s (RFC 8628 slow_down).`, {
            error: 'slow_down',
            interval: polled.interval,
          })
          .withHeaders({ 'retry-after': String(polled.interval) })
      }
      const status = statusOf(polled, clock())
      const answer: PollAnswer = { id, status, expiresAt: polled.expiresAt, interval: polled.interval }
      if (status === 'approved' && polled.deliverToken && polled.exchangeable) {
        answer.exchangeToken = exchangeTokenFor(pollToken)
      }
      return answer
    },

    /** A new code for the QR (the one shown so far can no longer be scanned), while nobody has scanned it. */
    async refreshCode(id: string, pollToken: string) {
      const session = await authorize(id, pollToken)
      const now = clock()
      const status = statusOf(session, now)
      if (status === 'expired') throw errors.SESSION_EXPIRED('Start a new QR login.')
      if (status !== 'pending') throw errors.SESSION_NOT_PENDING(`The session is ${status}.`)
      const version = session.codeVersion + 1
      const [rotated] = await rotate.execute({
        id,
        seenVersion: session.codeVersion,
        codeHash: digestOf(qrCodeFor(pollToken, version)),
        codeExpiresAt: codeExpiry(now, session.expiresAt).toISOString(),
      })
      // Scanned meanwhile, or rotated by a concurrent refresh: answer with what the session holds now.
      const current = rotated ?? (await authorize(id, pollToken))
      return { session: current, ...currentCode(current, pollToken) }
    },

    /** Status of several sessions at once, for the event streams. */
    async snapshots(ids: string[]): Promise<SessionSnapshot[]> {
      if (ids.length === 0) return []
      const now = clock()
      const rows = await db
        .select({
          id: authSessions.id,
          status: authSessions.status,
          isExchanged: authSessions.isExchanged,
          expiresAt: authSessions.expiresAt,
        })
        .from(authSessions)
        .where(inArray(authSessions.id, ids))
      return rows.map((row) => ({ id: row.id, status: statusOf(row, now), expiresAt: row.expiresAt }))
    },
  }
}

export type DesktopSessions = ReturnType<typeof createDesktopSessions>
