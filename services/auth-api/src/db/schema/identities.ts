import { createdAt, id } from '@gatehouse/db-kit/columns'
import { boolean, index, pgTable, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core'
import { users } from './users.ts'

// A sign-in identity at an OAuth / OpenID Connect provider: (provider, subject) names one person there. A user
// may have several; users.oauth_provider / oauth_id (seed 003) keep the first one.
export const identities = pgTable(
  'identities',
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    provider: varchar({ length: 50 }).notNull(),
    /** The provider's stable id of the person (`sub` of OIDC, the numeric id at GitHub), never the email. */
    subject: varchar({ length: 255 }).notNull(),
    /** What the provider said at the last sign-in. */
    email: varchar({ length: 255 }),
    emailVerified: boolean().notNull().default(false),
    createdAt: createdAt(),
    lastUsedAt: createdAt(),
  },
  (table) => [
    uniqueIndex('idx_identities_provider_subject').on(table.provider, table.subject),
    index('idx_identities_user_id').on(table.userId),
  ],
)

export type Identity = typeof identities.$inferSelect
