import type { Database } from '@gatehouse/db-kit'
import { sql } from 'drizzle-orm'

/** Seed 000's cleanup through the SQL function of migration 0002: exchanged and expired sessions go. */
export async function cleanupQrSessions(db: Database, now: Date): Promise<number> {
  const [row] = await db
    .select({ deleted: sql<number>`deleted` })
    .from(sql`cleanup_qr_sessions(${now.toISOString()}) AS deleted`)
  return Number(row?.deleted ?? 0)
}
