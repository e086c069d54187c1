import { createdAt, id, timestamptz } from '@gatehouse/db-kit/columns'
import { index, pgTable, uuid, varchar } from 'drizzle-orm/pg-core'
import { users } from './users.ts'

export const EMAIL_TOKEN_PURPOSES = ['verify', 'change'] as const
export type EmailTokenPurpose = (typeof EMAIL_TOKEN_PURPOSES)[number]

// The links mailed to confirm an address: the account's own (`verify`) or the one it is changing to (`change`,
// applied only when confirmed). Only the SHA-256 of the link's secret is stored; the row id is the selector.
export const emailVerificationTokens = pgTable(
  'email_verification_tokens',
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: varchar({ length: 20 }).$type<EmailTokenPurpose>().notNull(),
    /** The address this link proves; for `change`, the new one. */
    email: varchar({ length: 255 }).notNull(),
    tokenHash: varchar({ length: 64 }).notNull(),
    expiresAt: timestamptz().notNull(),
    usedAt: timestamptz(),
    createdAt: createdAt(),
  },
  (table) => [
    index('idx_email_verification_tokens_user_id').on(table.userId),
    index('idx_email_verification_tokens_expires_at').on(table.expiresAt),
  ],
)

export type EmailVerificationToken = typeof emailVerificationTokens.$inferSelect
