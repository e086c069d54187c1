import { createdAt, id, timestamptz } from '@gatehouse/db-kit/columns'
import { index, pgTable, uuid, varchar } from 'drizzle-orm/pg-core'
import { users } from './users.ts'

// Seed 003's sessions table, one row per device login. Its raw `refresh_token` column is deliberately
// absent: refresh tokens live hashed in refresh_tokens.
export const sessions = pgTable(
  'sessions',
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    userAgent: varchar({ length: 512 }),
    ip: varchar({ length: 64 }),
    createdAt: createdAt(),
    lastUsedAt: createdAt(),
    // Absolute: refreshing never extends it.
    expiresAt: timestamptz().notNull(),
    revokedAt: timestamptz(),
    revokedReason: varchar({ length: 50 }),
  },
  (table) => [
    index('idx_sessions_user_id').on(table.userId),
    index('idx_sessions_expires_at').on(table.expiresAt),
  ],
)

export type Session = typeof sessions.$inferSelect
