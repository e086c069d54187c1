import { createdAt, id, timestamptz } from '@gatehouse/db-kit/columns'
import { index, pgTable, uuid, varchar } from 'drizzle-orm/pg-core'
import { users } from './users.ts'

// Ten single-use recovery codes per enrolment, stored as keyed hashes (HMAC-SHA256); shown once.
export const twoFactorBackupCodes = pgTable(
  'two_factor_backup_codes',
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    codeHash: varchar({ length: 64 }).notNull(),
    usedAt: timestamptz(),
    createdAt: createdAt(),
  },
  (table) => [index('idx_two_factor_backup_codes_user_id').on(table.userId)],
)
