import { createdAt, id } from '@gatehouse/db-kit/columns'
import { index, jsonb, pgTable, uuid, varchar } from 'drizzle-orm/pg-core'
import { users } from './users.ts'

export const AUDIT_EVENTS = [
  'REGISTER',
  'LOGIN_SUCCESS',
  'LOGIN_FAILED',
  'LOGOUT',
  'LOGOUT_ALL',
  'SESSION_REVOKED',
  'TOKEN_REFRESHED',
  'TOKEN_REUSE_ATTACK',
  'ACCOUNT_LOCKED',
] as const
export type AuditEvent = (typeof AUDIT_EVENTS)[number]

// Seed 001's audit_logs. session_id has no foreign key: the log outlives cleaned-up sessions.
export const auditLogs = pgTable(
  'audit_logs',
  {
    id: id(),
    eventType: varchar({ length: 50 }).$type<AuditEvent>().notNull(),
    userId: uuid().references(() => users.id, { onDelete: 'set null' }),
    sessionId: uuid(),
    ipAddress: varchar({ length: 64 }),
    userAgent: varchar({ length: 512 }),
    details: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (table) => [
    index('idx_audit_logs_event_type_created_at').on(table.eventType, table.createdAt),
    index('idx_audit_logs_user_id_created_at').on(table.userId, table.createdAt),
  ],
)
