import { index, pgTable, text, uuid } from 'drizzle-orm/pg-core'
import { apiKeys } from './api-keys.ts'
import { clients } from './clients.ts'
import { timestamptz } from './columns.ts'

/** Audit of the short-lived internal context tokens the gateway issues to upstreams (seed 004 `verification_tokens`). */
export const verificationTokens = pgTable(
  'verification_tokens',
  {
    /** SHA-256 (hex) of the issued token: identifies it without storing it. */
    jti: text().primaryKey(),
    clientId: uuid().references(() => clients.id, { onDelete: 'cascade' }),
    keyId: uuid().references(() => apiKeys.id, { onDelete: 'set null' }),
    /** auth-api user id; another service's id, so no foreign key. */
    userId: text(),
    audience: text().notNull(),
    requestId: text(),
    issuedAt: timestamptz().notNull(),
    expiresAt: timestamptz().notNull(),
  },
  (table) => [index('verification_tokens_client_issued_idx').on(table.clientId, table.issuedAt)],
)
