import { createdAt, id, timestamptz } from '@gatehouse/db-kit/columns'
import { sql } from 'drizzle-orm'
import { bigint, check, index, integer, pgTable, text, uniqueIndex, varchar } from 'drizzle-orm/pg-core'

// Seed 003's users table, plus what lockout, email verification and two-factor sign-in need.
export const users = pgTable(
  'users',
  {
    id: id(),
    email: varchar({ length: 255 }).notNull(),
    name: varchar({ length: 255 }).notNull(),
    // Null for accounts that only sign in through OAuth.
    passwordHash: varchar({ length: 255 }),
    oauthProvider: varchar({ length: 50 }),
    oauthId: varchar({ length: 255 }),
    emailVerifiedAt: timestamptz(),
    failedLoginCount: integer().notNull().default(0),
    lockedUntil: timestamptz(),
    // Seed 003's name. `v1.<key version>.<AES-256-GCM box>`, never the raw secret; set while enrolling, and it
    // counts only once two_factor_enabled_at is set (confirmed by a first code).
    twoFactorSecret: text('two_factor_secret'),
    twoFactorEnabledAt: timestamptz(),
    /** The last TOTP time step accepted: a code of that step or an earlier one is a replay. */
    twoFactorLastStep: bigint({ mode: 'number' }),
    twoFactorFailedCount: integer().notNull().default(0),
    twoFactorLockedUntil: timestamptz(),
    createdAt: createdAt(),
    updatedAt: createdAt(),
  },
  (table) => [
    uniqueIndex('idx_users_email').on(table.email),
    index('idx_users_oauth').on(table.oauthProvider, table.oauthId),
    check('users_email_lower_case', sql`${table.email} = lower(${table.email})`),
  ],
)

export type User = typeof users.$inferSelect
