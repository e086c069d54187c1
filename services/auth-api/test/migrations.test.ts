import { migrateDown, migrateUp } from '@gatehouse/db-kit'
import type { TestDb } from '@gatehouse/db-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MIGRATIONS_DIR, openTestDb } from './fixtures.ts'

let db: TestDb
beforeAll(async () => {
  db = await openTestDb()
})
afterAll(async () => db?.close())

async function relation(name: string): Promise<boolean> {
  const [row] = await db.raw.query<{ exists: boolean }>('select to_regclass($1) is not null as exists', [
    name,
  ])
  return row?.exists ?? false
}

const FUNCTIONS = ['cleanup_expired_refresh_tokens', 'rotate_refresh_token', 'revoke_sessions']

async function functionsPresent(): Promise<string[]> {
  const rows = await db.raw.query<{ proname: string }>(
    'select proname from pg_proc where proname = any($1) order by proname',
    [FUNCTIONS],
  )
  return rows.map((row) => row.proname)
}

const TABLES = ['users', 'sessions', 'refresh_tokens', 'audit_logs', 'signing_keys']

describe('auth-api migrations', () => {
  it("create seed 001's and 003's tables, indexes and function (\\dt refresh_tokens, \\dt audit_logs)", async () => {
    for (const table of TABLES) expect([table, await relation(table)]).toEqual([table, true])
    for (const index of [
      'idx_users_email',
      'idx_users_oauth',
      'idx_sessions_user_id',
      'idx_refresh_tokens_token_hash',
      'idx_refresh_tokens_user_id',
    ]) {
      expect([index, await relation(index)]).toEqual([index, true])
    }
    expect(await functionsPresent()).toEqual([...FUNCTIONS].sort())
  })

  it('refuse an upper-case email at the database, not only in the API', async () => {
    await expect(
      db.raw.query("insert into users (email, name) values ('Upper@Example.com', 'x')"),
    ).rejects.toThrow()
  })

  it('revert completely with their down files and apply again', async () => {
    const options = { migrationsDir: MIGRATIONS_DIR, service: 'auth-api' }
    const { reverted } = await migrateDown(db, { ...options, steps: 3 })
    expect(reverted).toEqual(['0002_hot_paths', '0001_cleanup_function', '0000_init'])
    for (const table of TABLES) expect(await relation(table)).toBe(false)
    expect(await functionsPresent()).toEqual([])

    const { applied } = await migrateUp(db, options)
    expect(applied).toEqual(['0000_init', '0001_cleanup_function', '0002_hot_paths'])
    expect(await functionsPresent()).toEqual([...FUNCTIONS].sort())
    const [answer] = await db.raw.query<{ removed: number }>(
      'select cleanup_expired_refresh_tokens(30) as removed',
    )
    expect(answer?.removed).toBe(0)
  })
})
