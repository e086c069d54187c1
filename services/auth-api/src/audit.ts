import type { Database } from '@gatehouse/db-kit'
import { prepared } from './db/prepared.ts'
import { type AuditEvent, auditLogs } from './db/schema/index.ts'

/** Who is calling: recorded on sessions and in the audit log. */
export interface ClientInfo {
  ip: string
  userAgent?: string
}

export interface AuditEntry {
  event: AuditEvent
  at: Date
  client?: ClientInfo
  userId?: string | null
  sessionId?: string | null
  details?: Record<string, unknown>
}

export function auditRow(entry: AuditEntry): typeof auditLogs.$inferInsert {
  return {
    eventType: entry.event,
    userId: entry.userId ?? null,
    sessionId: entry.sessionId ?? null,
    ipAddress: entry.client?.ip ?? null,
    userAgent: entry.client?.userAgent ?? null,
    details: entry.details ?? {},
    createdAt: entry.at,
  }
}

/** Pass the transaction when the event must commit or roll back with the change it describes. */
export async function recordAudit(db: Database, ...entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return
  await prepared(db.insert(auditLogs).values(entries.map(auditRow)), 'insert_audit')
}
