import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RawSql } from '../src/index.ts'

export const ALL_BASIC = ['0000_init', '0001_touch_function', '0002_add_nickname']

export function fixture(name: 'basic' | 'broken'): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))
}

const tempDirs: string[] = []

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'db-kit-test-'))
  tempDirs.push(dir)
  return dir
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
}

/** A copy of a fixture folder, to tamper with. */
export async function copyFixture(name: 'basic' | 'broken'): Promise<string> {
  const dir = join(await tempDir(), name)
  await cp(fixture(name), dir, { recursive: true })
  return dir
}

/** Rewrites the journal of a copy of the basic fixture to list only these of its tags, in this order. */
export async function writeBasicJournal(dir: string, tags: string[]): Promise<void> {
  const original = join(fixture('basic'), 'meta', '_journal.json')
  const journal = JSON.parse(await readFile(original, 'utf8')) as { entries: { tag: string }[] }
  const entries = tags.map((tag) => journal.entries.find((entry) => entry.tag === tag))
  await writeFile(join(dir, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries }))
}

/** Columns, indexes and functions of the user schemas, without the migration history table. */
export async function schemaSnapshot(raw: RawSql) {
  const userSchemas = `not in ('pg_catalog', 'information_schema', 'pg_toast')`
  return {
    columns: await raw.query(
      `select table_schema, table_name, column_name, data_type, is_nullable, column_default
       from information_schema.columns
       where table_schema ${userSchemas} and table_name <> 'gatehouse_migrations'
       order by 1, 2, 3`,
    ),
    indexes: await raw.query(
      `select schemaname, tablename, indexname, indexdef from pg_indexes
       where schemaname ${userSchemas} and tablename <> 'gatehouse_migrations' order by 1, 2, 3`,
    ),
    functions: await raw.query(
      `select n.nspname, p.proname, pg_get_functiondef(p.oid) as definition
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname ${userSchemas} order by 1, 2, 3`,
    ),
  }
}

export async function historyTags(raw: RawSql, service: string): Promise<string[]> {
  const rows = await raw.query<{ tag: string }>(
    'select tag from gatehouse_migrations where service = $1 order by applied_at, tag',
    [service],
  )
  return rows.map((row) => row.tag)
}
