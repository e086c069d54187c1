import { createdAt, id, timestamptz } from '@gatehouse/db-kit/columns'
import { sql } from 'drizzle-orm'
import { check, index, integer, pgTable, uniqueIndex, varchar } from 'drizzle-orm/pg-core'

// Seed 003's users table, plus what lockout and email verification need.
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
