import type { DbHandle } from '@gatehouse/db-kit'

/**
 * A fingerprint of every table in the database: row count and an md5 over all rows. Two equal fingerprints mean
 * no table or sequence changed in between (used to prove a dry run writes nothing).
 */
export async function databaseFingerprint(db: DbHandle): Promise<Record<string, string>> {
  const tables = await db.raw.query<{ name: string }>(
    "select tablename as name from pg_tables where schemaname = 'public' order by tablename",
  )
  const fingerprint: Record<string, string> = {}
  for (const { name } of tables) {
    const [row] = await db.raw.query<{ rows: number; digest: string | null }>(
      `select count(*)::int as rows, md5(string_agg(t::text, '|' order by t::text)) as digest from "${name}" t`,
    )
    fingerprint[name] = `${row?.rows}:${row?.digest ?? '-'}`
  }
  // A write that was rolled back still moves identity sequences.
  const sequences = await db.raw.query<{ name: string; value: string | null }>(
    "select sequencename as name, last_value::text as value from pg_sequences where schemaname = 'public'",
  )
  for (const { name, value } of sequences) fingerprint[`sequence ${name}`] = value ?? '-'
  return fingerprint
}
