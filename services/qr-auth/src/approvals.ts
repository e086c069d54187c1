import { safeEqual } from '@gatehouse/crypto'
import type { Database } from '@gatehouse/db-kit'
import type { Clock } from '@gatehouse/service-kit'
import { and, eq, gt, isNotNull, sql } from 'drizzle-orm'
import { type AuthSession, authSessions } from './db/schema/index.ts'
import { digestOf } from './desktop-secrets.ts'
import { errors } from './errors.ts'

export type Decision = 'approve' | 'reject'

// Placeholders outside INSERT values reach the driver as they are: timestamps go as ISO text.
const nowText = sql`${sql.placeholder('nowText')}`
const isLive = and(gt(authSessions.expiresAt, nowText), isNotNull(authSessions.exchangeToken))

/**
 * The phone's side of a QR login, for a signed-in user. The scan claims the session for that user: only they
 * can approve or reject it afterwards (better-auth's device flow let any signed-in user approve any pending
 * code: GHSA-cq3f-vc6p-68fh). Every step is one conditional UPDATE; a refusal is explained afterwards.
 */
export function createApprovals(db: Database, deps: { clock: Clock }) {
  const { clock } = deps
  const claim = db
    .update(authSessions)
    .set({ status: 'scanned', userId: sql`${sql.placeholder('userId')}`, scannedAt: nowText })
    .where(
      and(
        eq(authSessions.id, sql.placeholder('id')),
        eq(authSessions.status, 'pending'),
        eq(authSessions.codeHash, sql.placeholder('codeHash')),
        gt(authSessions.codeExpiresAt, nowText),
        isLive,
      ),
    )
    .returning()
    .prepare('scan_qr_session')
  const decideStatement = (decision: Decision) =>
    db
      .update(authSessions)
      .set(
        decision === 'approve'
          ? // The first poll after the approval is answered at once, with the exchange token (poll_qr_session).
            { status: 'approved' as const, approvedAt: nowText, lastPolledAt: null }
          : { status: 'rejected' as const, rejectedAt: nowText },
      )
      .where(
        and(
          eq(authSessions.id, sql.placeholder('id')),
          eq(authSessions.status, 'scanned'),
          eq(authSessions.userId, sql.placeholder('userId')),
          isLive,
        ),
      )
      .returning()
      .prepare(`${decision}_qr_session`)
  const decisions = { approve: decideStatement('approve'), reject: decideStatement('reject') }
  const byId = db
    .select()
    .from(authSessions)
    .where(eq(authSessions.id, sql.placeholder('id')))
    .prepare('qr_session_for_phone')

  async function existing(id: string): Promise<AuthSession> {
    const [row] = await byId.execute({ id })
    if (!row) throw errors.SESSION_NOT_FOUND()
    if (row.exchangeToken === null) throw errors.SESSION_OUTDATED('Start a new QR login on the other device.')
    return row
  }

  return {
    /** Claims the session for `userId` with the code from the QR; answers who is asking. */
    async scan(id: string, code: string, userId: string): Promise<AuthSession> {
      const now = clock()
      const codeHash = digestOf(code)
      const [claimed] = await claim.execute({ id, codeHash, userId, nowText: now.toISOString() })
      if (claimed) return claimed
      const row = await existing(id)
      // Without the current code nothing else about the session is told.
      if (!safeEqual(codeHash, row.codeHash))
        throw errors.CODE_INVALID('This code is not (or no longer) shown.')
      if (row.status !== 'pending') throw errors.SESSION_ALREADY_SCANNED()
      if (now >= row.expiresAt) throw errors.SESSION_EXPIRED()
      throw errors.CODE_EXPIRED()
    },

    async decide(decision: Decision, id: string, userId: string): Promise<AuthSession> {
      const now = clock()
      const [decided] = await decisions[decision].execute({ id, userId, nowText: now.toISOString() })
      if (decided) return decided
      const row = await existing(id)
      if (row.status === 'pending') throw errors.SESSION_NOT_SCANNED('Scan the QR code first.')
      if (row.userId !== userId) throw errors.SESSION_CLAIMED()
      if (row.status !== 'scanned') throw errors.SESSION_ALREADY_DECIDED(`The session is ${row.status}.`)
      throw errors.SESSION_EXPIRED()
    },
  }
}

export type Approvals = ReturnType<typeof createApprovals>
