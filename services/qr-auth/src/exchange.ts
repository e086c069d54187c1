import { safeEqual } from '@gatehouse/crypto'
import type { Database } from '@gatehouse/db-kit'
import type { Clock } from '@gatehouse/service-kit'
import { and, eq, gt, sql } from 'drizzle-orm'
import type { AuthApiClient, OpenSessionResult, SessionGrant } from './auth-api-client.ts'
import { authSessions } from './db/schema/index.ts'
import { digestOf } from './desktop-secrets.ts'
import type { Requester } from './desktop-sessions.ts'
import { errors } from './errors.ts'
import { statusOf } from './session-status.ts'

const RETRY_AFTER_SECONDS = 1

/** Where refusals and auth-api failures are told (the request's logger); never with the token. */
export interface ExchangeLog {
  warn(details: object, message: string): void
}

/**
 * The one-time exchange: `is_exchanged` is flipped by one conditional UPDATE (never read-then-write), so of
 * any number of concurrent requests with the same token exactly one goes on to auth-api, which opens the
 * session for the approving user. A grant is handed out only once the flip has committed.
 *
 * If auth-api fails after the flip, the flip is undone and the desktop gets a 503 with Retry-After: the same
 * token stays spendable, once, until the session expires. The one exception is a user auth-api no longer
 * knows: retrying cannot help, so the token stays spent.
 */
export function createExchange(db: Database, deps: { clock: Clock; authApi: AuthApiClient }) {
  const { clock, authApi } = deps
  const flipCondition = (sessionId: string, tokenHash: string, now: Date) =>
    and(
      eq(authSessions.id, sessionId),
      eq(authSessions.exchangeToken, tokenHash),
      eq(authSessions.isExchanged, false),
      eq(authSessions.status, 'approved'),
      gt(authSessions.expiresAt, now),
    )
  const unflip = db
    .update(authSessions)
    .set({ isExchanged: false })
    .where(
      and(
        eq(authSessions.id, sql.placeholder('id')),
        eq(authSessions.exchangeToken, sql.placeholder('tokenHash')),
        eq(authSessions.isExchanged, true),
      ),
    )
    .prepare('unexchange_qr_session')

  /** The refusal for a token that did not flip, told only to whoever holds the right token. */
  async function refusal(sessionId: string, tokenHash: string, now: Date) {
    const [row] = await db.select().from(authSessions).where(eq(authSessions.id, sessionId))
    if (!row) return errors.EXCHANGE_TOKEN_INVALID()
    if (row.exchangeToken === null) return errors.SESSION_OUTDATED('Start a new QR login.')
    if (!safeEqual(tokenHash, row.exchangeToken)) return errors.EXCHANGE_TOKEN_INVALID()
    const status = statusOf(row, now)
    if (status === 'exchanged') return errors.EXCHANGE_TOKEN_USED('Each exchange token opens one session.')
    if (status === 'rejected') return errors.SESSION_REJECTED('The phone rejected this login.')
    if (status === 'expired') return errors.EXCHANGE_TOKEN_EXPIRED('Start a new QR login.')
    return errors.SESSION_NOT_APPROVED('Wait until the phone approves (poll the session).')
  }

  return {
    async exchange(
      input: { sessionId: string; exchangeToken: string; client: Requester },
      log: ExchangeLog,
    ): Promise<SessionGrant> {
      const { sessionId, client } = input
      const tokenHash = digestOf(input.exchangeToken)
      const now = clock()
      const openSession = (userId: string) =>
        // The session is the exchanging device's: its user agent and address show in the user's session list.
        authApi.openSession({
          userId,
          ip: client.ip,
          ...(client.userAgent ? { userAgent: client.userAgent } : {}),
        })
      let opening: Promise<OpenSessionResult> | undefined
      let flipped: { userId: string | null } | undefined
      try {
        flipped = await db.transaction(async (tx) => {
          // Prepared (drizzle sends an unprepared query with parameters as Parse/Describe first, then Bind/Execute:
          // two round trips); postgres.js keeps the statement per connection, so each later flip is one.
          const [row] = await tx
            .update(authSessions)
            .set({ isExchanged: true })
            .where(flipCondition(sessionId, tokenHash, now))
            .returning({ userId: authSessions.userId })
            .prepare('exchange_qr_session')
            .execute()
          // The flipped row stays locked until this transaction ends, so no other exchange can pass it: auth-api
          // is asked now and works while the commit waits for its WAL flush, instead of after it.
          if (row?.userId) opening = openSession(row.userId)
          return row
        })
      } catch (error) {
        // The flip did not commit: whatever auth-api opened meanwhile is never handed out.
        await opening
        throw error
      }
      if (!flipped?.userId || !opening) {
        const error = await refusal(sessionId, tokenHash, now)
        log.warn({ sessionId, code: error.code }, 'qr exchange refused')
        throw error
      }
      // Only now, with the flip committed, may a grant leave.
      const opened = await opening
      if (opened.ok) return opened.grant
      if (opened.failure === 'user-not-found') throw errors.APPROVER_NOT_FOUND('Start a new QR login.')
      await unflip.execute({ id: sessionId, tokenHash })
      log.warn({ sessionId, reason: opened.reason }, 'auth-api failed after the flip; exchange undone')
      throw errors
        .SESSION_ISSUER_UNAVAILABLE('The exchange token stays valid until the session expires.', {
          retryable: true,
        })
        .withHeaders({ 'retry-after': String(RETRY_AFTER_SECONDS) })
    },
  }
}

export type Exchange = ReturnType<typeof createExchange>
