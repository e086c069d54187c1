import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeEach, expect, it } from 'vitest'
import { createDb, migrateUp } from '../src/index.ts'
import { createTestDb, type TestDb } from '../src/testing.ts'
import { ALL_BASIC, copyFixture, removeTempDirs } from './helpers.ts'

let db: TestDb

beforeEach(async () => {
  db = await createTestDb({})
})
afterEach(async () => db.close())
afterAll(removeTempDirs)

// On PostgreSQL two handles (two pools) race for the advisory lock; PGlite has one connection, so there the
// same handle runs twice concurrently and withConnection's queue stands in for the lock.
it('two concurrent up runs apply each migration exactly once', async () => {
  const migrationsDir = await copyFixture('basic')
  const first = join(migrationsDir, '0000_init.sql')
  // Hold the lock long enough that the second runner must wait for it.
  await writeFile(first, `SELECT pg_sleep(0.3);\n--> statement-breakpoint\n${await readFile(first, 'utf8')}`)
  const other = db.url ? await createDb({ url: db.url }) : db
  const lines: string[] = []
  try {
    const runs = await Promise.all(
      [db, other].map((handle) =>
        migrateUp(handle, { migrationsDir, service: 'race', log: (l) => lines.push(l) }),
      ),
    )

    expect(runs.flatMap((run) => run.applied).sort()).toEqual(ALL_BASIC)
    expect(runs.some((run) => run.applied.length === 0)).toBe(true)
    const rows = await db.raw.query(
      'select tag, count(*)::int as n from gatehouse_migrations group by tag order by tag',
    )
    expect(rows).toEqual(ALL_BASIC.map((tag) => ({ tag, n: 1 })))
    if (db.kind === 'postgres') expect(lines).toContain('waiting for another migration run of race to finish')
  } finally {
    if (other !== db) await other.close()
  }
})
