import { createdAt } from '@gatehouse/db-kit/columns'
import { sql } from 'drizzle-orm'
import { check, index, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core'
import { clients } from './clients.ts'

export const ROLES = ['owner', 'admin', 'member'] as const

/** Which auth-api users administer which tenant. */
export const memberships = pgTable(
  'memberships',
  {
    clientId: uuid()
      .notNull()
      .references(() => clients.id, { onDelete: 'cascade' }),
    /** auth-api user id (JWT `sub`); another service's id, so no foreign key. */
    userId: text().notNull(),
    role: text({ enum: ROLES }).notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    primaryKey({ columns: [table.clientId, table.userId] }),
    index('memberships_user_id_idx').on(table.userId),
    check('memberships_role_check', sql`${table.role} in ('owner', 'admin', 'member')`),
  ],
)
