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
  'EMAIL_VERIFIED',
  'EMAIL_CHANGE_REQUESTED',
  'EMAIL_CHANGED',
  'PASSWORD_RESET_REQUESTED',
  'PASSWORD_RESET',
  'PASSWORD_CHANGED',
  'PASSWORD_CONFIRMATION_FAILED',
  'TWO_FACTOR_ENROLLMENT_STARTED',
  'TWO_FACTOR_ENABLED',
  'TWO_FACTOR_DISABLED',
  'TWO_FACTOR_CHALLENGE_ISSUED',
  'TWO_FACTOR_FAILED',
  'TWO_FACTOR_LOCKED',
  'BACKUP_CODE_USED',
  'BACKUP_CODES_REGENERATED',
  'OAUTH_LINKED',
  'OAUTH_UNLINKED',
  'OAUTH_LOGIN_FAILED',
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
