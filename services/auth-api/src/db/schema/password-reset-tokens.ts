import { createdAt, id, timestamptz } from '@gatehouse/db-kit/columns'
import { index, pgTable, uuid, varchar } from 'drizzle-orm/pg-core'
import { users } from './users.ts'

// Seed 003's next step "password reset (a reset tokens table)": hash only, 30 minutes, single use.
export const passwordResetTokens = pgTable(
  'password_reset_tokens',
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: varchar({ length: 64 }).notNull(),
    expiresAt: timestamptz().notNull(),
    usedAt: timestamptz(),
    requestedIp: varchar({ length: 64 }),
    createdAt: createdAt(),
  },
  (table) => [
    index('idx_password_reset_tokens_user_id').on(table.userId),
    index('idx_password_reset_tokens_expires_at').on(table.expiresAt),
  ],
)

export type PasswordResetToken = typeof passwordResetTokens.$inferSelect
