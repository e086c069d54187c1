import { createdAt, id, timestamptz } from '@gatehouse/db-kit/columns'
import { index, pgTable, uuid, varchar } from 'drizzle-orm/pg-core'
import { users } from './users.ts'

// The half-done sign-in of an account with two-factor on: the first factor passed (password or an OAuth
// provider), the session waits for a code. Hash only, minutes long, single use.
export const mfaChallenges = pgTable(
  'mfa_challenges',
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: varchar({ length: 64 }).notNull(),
    /** The first factor: `password` or `oauth:<provider>`; recorded on the session's LOGIN_SUCCESS. */
    firstFactor: varchar({ length: 64 }).notNull(),
    expiresAt: timestamptz().notNull(),
    usedAt: timestamptz(),
    createdAt: createdAt(),
  },
  (table) => [
    index('idx_mfa_challenges_user_id').on(table.userId),
    index('idx_mfa_challenges_expires_at').on(table.expiresAt),
  ],
)

export type MfaChallenge = typeof mfaChallenges.$inferSelect
