import { createdAt, id, timestamptz } from '@gatehouse/db-kit/columns'
import {
  type AnyPgColumn,
  boolean,
  index,
  pgTable,
  text,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core'
import { sessions } from './sessions.ts'
import { users } from './users.ts'

// Seed 001's refresh_tokens: only the SHA-256 of each token is stored.
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    sessionId: uuid()
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    tokenHash: varchar({ length: 64 }).notNull(),
    familyId: uuid().notNull(),
    parentId: uuid().references((): AnyPgColumn => refreshTokens.id, { onDelete: 'set null' }),
    replacedBy: uuid().references((): AnyPgColumn => refreshTokens.id, { onDelete: 'set null' }),
    // The successor token, AES-GCM encrypted under a key derived from THIS token (never stored), so only
    // someone presenting this token again within the grace window can get the successor back.
    successorCiphertext: text(),
    usedAt: timestamptz(),
    revoked: boolean().notNull().default(false),
    revokedReason: varchar({ length: 50 }),
    revokedAt: timestamptz(),
    expiresAt: timestamptz().notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex('idx_refresh_tokens_token_hash').on(table.tokenHash),
    index('idx_refresh_tokens_user_id').on(table.userId),
    index('idx_refresh_tokens_family_id').on(table.familyId),
    index('idx_refresh_tokens_session_id').on(table.sessionId),
    index('idx_refresh_tokens_expires_at').on(table.expiresAt),
  ],
)

export type RefreshToken = typeof refreshTokens.$inferSelect
