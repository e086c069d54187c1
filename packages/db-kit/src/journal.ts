import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { MigrationError } from './migration-error.ts'

export interface Migration {
  tag: string
  file: string
  statements: string[]
  checksum: string
}

const BREAKPOINT = '--> statement-breakpoint'

/** The migrations of drizzle-kit's `meta/_journal.json`, in journal order. A folder without a journal has none yet. */
export async function readMigrations(migrationsDir: string): Promise<Migration[]> {
  if (!existsSync(migrationsDir)) throw new Error(`migrations folder not found: ${migrationsDir}`)
  const journalPath = join(migrationsDir, 'meta', '_journal.json')
  if (!existsSync(journalPath)) return []
  const journal = JSON.parse(await readFile(journalPath, 'utf8')) as { entries: { tag: string }[] }
  return Promise.all(
    journal.entries.map(async ({ tag }) => {
      const file = `${tag}.sql`
      const path = join(migrationsDir, file)
      if (!existsSync(path))
        throw new MigrationError(`${file} is listed in meta/_journal.json but missing`, { file })
      const sql = await readFile(path, 'utf8')
      return { tag, file, statements: splitStatements(sql), checksum: checksum(sql) }
    }),
  )
}

export function downFile(tag: string): string {
  return `${tag}.down.sql`
}

/** The statements of `<tag>.down.sql`, or undefined when there is none. */
export async function readDown(migrationsDir: string, tag: string): Promise<string[] | undefined> {
  const path = join(migrationsDir, downFile(tag))
  return existsSync(path) ? splitStatements(await readFile(path, 'utf8')) : undefined
}

function splitStatements(sql: string): string[] {
  return sql
    .split(BREAKPOINT)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0)
}

function checksum(sql: string): string {
  // Line endings are normalized so a Windows checkout (core.autocrlf) does not look like a changed file.
  return createHash('sha256').update(sql.replaceAll('\r\n', '\n')).digest('hex')
}
