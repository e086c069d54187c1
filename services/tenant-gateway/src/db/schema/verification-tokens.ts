import { timestamptz } from '@gatehouse/db-kit/columns'
import { index, pgTable, text, uuid } from 'drizzle-orm/pg-core'

/**
 * Audit of the short-lived internal context tokens the gateway issues to upstreams (seed 004 `verification_tokens`).
 * One row per token, written in batches; no foreign keys, so audit rows outlive what they mention and inserts
 * skip two lookups each.
 */
export const verificationTokens = pgTable(
  'verification_tokens',
  {
    /** SHA-256 (hex) of the issued token: identifies it without storing it. */
    jti: text().primaryKey(),
    clientId: uuid(),
    keyId: uuid(),
    /** auth-api user id; another service's id, so no foreign key. */
    userId: text(),
    audience: text().notNull(),
    requestId: text(),
    issuedAt: timestamptz().notNull(),
    expiresAt: timestamptz().notNull(),
  },
  (table) => [index('verification_tokens_client_issued_idx').on(table.clientId, table.issuedAt)],
)
