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

const TABLES = [
  'users',
  'sessions',
  'refresh_tokens',
  'audit_logs',
  'signing_keys',
  'email_verification_tokens',
  'password_reset_tokens',
  'mfa_challenges',
  'two_factor_backup_codes',
  'identities',
]

// Issue 12's migrations, newest first: the revert test steps over them with the three before.
const ISSUE_12_MIGRATIONS = ['0005_oauth_identities', '0004_two_factor', '0003_email_and_password_reset']

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
    const { reverted } = await migrateDown(db, { ...options, steps: 3 + ISSUE_12_MIGRATIONS.length })
    expect(reverted).toEqual([...ISSUE_12_MIGRATIONS, '0002_hot_paths', '0001_cleanup_function', '0000_init'])
    for (const table of TABLES) expect(await relation(table)).toBe(false)
    expect(await functionsPresent()).toEqual([])

    const { applied } = await migrateUp(db, options)
    expect(applied).toEqual([
      '0000_init',
      '0001_cleanup_function',
      '0002_hot_paths',
      ...[...ISSUE_12_MIGRATIONS].reverse(),
    ])
    expect(await functionsPresent()).toEqual([...FUNCTIONS].sort())
    const [answer] = await db.raw.query<{ removed: number }>(
      'select cleanup_expired_refresh_tokens(30) as removed',
    )
    expect(answer?.removed).toBe(0)
  })

  it("revert issue 12's migrations one by one, keeping the older schema and its data", async () => {
    const options = { migrationsDir: MIGRATIONS_DIR, service: 'auth-api' }
    await db.raw.query("insert into users (email, name) values ('kept@example.com', 'Kept')")
    const { reverted } = await migrateDown(db, { ...options, steps: ISSUE_12_MIGRATIONS.length })
    expect(reverted).toEqual(ISSUE_12_MIGRATIONS)
    for (const table of TABLES.slice(5)) expect(await relation(table)).toBe(false)
    const columns = await db.raw.query<{ name: string }>(
      "select column_name as name from information_schema.columns where table_name = 'users' and column_name like 'two_factor%'",
    )
    expect(columns).toEqual([])
    const [kept] = await db.raw.query<{ n: number }>(
      "select count(*)::int as n from users where email = 'kept@example.com'",
    )
    expect(kept?.n).toBe(1)
    expect((await migrateUp(db, options)).applied).toEqual([...ISSUE_12_MIGRATIONS].reverse())
    for (const table of TABLES) expect(await relation(table)).toBe(true)
  })
})
