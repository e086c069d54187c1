import { createdAt, id, timestamptz } from '@gatehouse/db-kit/columns'
import { sql } from 'drizzle-orm'
import { boolean, check, index, integer, pgTable, uuid, varchar } from 'drizzle-orm/pg-core'

/** What a row stores; `expired` and `exchanged` are derived (expires_at, is_exchanged). */
export const STORED_STATUSES = ['pending', 'scanned', 'approved', 'rejected'] as const
export type StoredStatus = (typeof STORED_STATUSES)[number]

// Seed 000's auth_sessions: one QR login, from the desktop's request to the phone's decision. Every secret
// (poll token, one-time code) is stored as its SHA-256 hex only.
export const authSessions = pgTable(
  'auth_sessions',
  {
    id: id(),
    status: varchar({ length: 16 }).$type<StoredStatus>().notNull().default('pending'),
    requesterIp: varchar({ length: 64 }),
    requesterUserAgent: varchar({ length: 512 }),
    // auth-api's user id (another database: no foreign key). Set by the scan, which claims the session.
    userId: uuid(),
    pollTokenHash: varchar({ length: 64 }).notNull(),
    codeHash: varchar({ length: 64 }).notNull(),
    // Which code of the session the QR shows now: each refresh moves it on and replaces code_hash.
    codeVersion: integer().notNull().default(0),
    codeExpiresAt: timestamptz().notNull(),
    // RFC 8628: seconds the desktop waits between polls; slow_down adds 5.
    pollInterval: integer().notNull(),
    lastPolledAt: timestamptz(),
    scannedAt: timestamptz(),
    approvedAt: timestamptz(),
    rejectedAt: timestamptz(),
    expiresAt: timestamptz().notNull(),
    createdAt: createdAt(),
    // Seed 000's AddAuthSessionExchangeToken, under the seed's names. exchange_token holds the SHA-256 hex of
    // the one-time exchange token, never the token; rows from before that migration have NULL here and are
    // never exchanged (the desktop starts again).
    exchangeToken: varchar('exchange_token', { length: 64 }),
    isExchanged: boolean('is_exchanged').notNull().default(false),
  },
  (table) => [
    index('idx_auth_sessions_expires_at').on(table.expiresAt),
    index('idx_auth_sessions_exchange_token')
      .on(table.exchangeToken)
      .where(sql`${table.exchangeToken} IS NOT NULL`),
    // The cleanup's way to exchanged sessions.
    index('idx_auth_sessions_is_exchanged').on(table.isExchanged),
    check(
      'auth_sessions_status_check',
      sql`${table.status} in ('pending', 'scanned', 'approved', 'rejected')`,
    ),
  ],
)

export type AuthSession = typeof authSessions.$inferSelect
