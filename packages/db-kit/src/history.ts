import type { RawSql } from './raw-sql.ts'

export interface AppliedMigration {
  tag: string
  checksum: string
  appliedAt: Date
}

// Keyed by service too: services that fall back to one shared DATABASE_URL all keep their history here.
const TABLE = 'public.gatehouse_migrations'

export async function ensureHistoryTable(conn: RawSql): Promise<void> {
  await conn.exec(`create table if not exists ${TABLE} (
    service text not null,
    tag text not null,
    checksum text not null,
    applied_at timestamptz not null default now(),
    duration_ms integer not null,
    applied_by text not null default current_user,
    primary key (service, tag)
  )`)
}

/** Read-only: a database that never ran a migration has no history table, and status must not create one. */
export async function readHistory(conn: RawSql, service: string): Promise<AppliedMigration[]> {
  const [table] = await conn.query<{ exists: boolean }>(
    `select to_regclass('${TABLE}') is not null as exists`,
  )
  if (!table?.exists) return []
  return conn.query<AppliedMigration>(
    `select tag, checksum, applied_at as "appliedAt" from ${TABLE} where service = $1 order by applied_at, tag`,
    [service],
  )
}

export async function recordApplied(
  tx: RawSql,
  service: string,
  migration: { tag: string; checksum: string },
  durationMs: number,
): Promise<void> {
  await tx.query(`insert into ${TABLE} (service, tag, checksum, duration_ms) values ($1, $2, $3, $4)`, [
    service,
    migration.tag,
    migration.checksum,
    durationMs,
  ])
}

export async function deleteApplied(tx: RawSql, service: string, tag: string): Promise<void> {
  await tx.query(`delete from ${TABLE} where service = $1 and tag = $2`, [service, tag])
}
