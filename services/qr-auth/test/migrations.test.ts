import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createDb, type DbHandle, runMigrationCli } from '@gatehouse/db-kit'
import { createTestDb, type TestDb } from '@gatehouse/db-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exchangeTokenFor } from '../src/desktop-secrets.ts'
import { codeIn, createSession, decide, exchange, poll, scan } from './factories.ts'
import { startQrApp } from './fixtures.ts'

// Seed 000's verification query and the rows it expects, word for word.
const SEED_QUERY = `SELECT column_name, data_type, is_nullable, column_default
FROM information_schema.columns
WHERE table_name = 'auth_sessions'
AND column_name IN ('exchange_token', 'is_exchanged');`
const SEED_ROWS = [
  { column_name: 'exchange_token', data_type: 'character varying', is_nullable: 'YES', column_default: null },
  { column_name: 'is_exchanged', data_type: 'boolean', is_nullable: 'NO', column_default: 'false' },
]

/**
 * `pnpm migrate [args] --filter qr-auth` (the CLI scripts/migrate.ts runs) against one database: PostgreSQL
 * with TEST_DATABASE_URL (a fresh, empty database), else an embedded PGlite folder.
 */
interface Target {
  cli(...args: string[]): Promise<{ code: number; output: string }>
  open(): Promise<DbHandle>
  dispose(): Promise<void>
}

async function emptyTarget(): Promise<Target> {
  let env: NodeJS.ProcessEnv
  let open: () => Promise<DbHandle>
  let dispose: () => Promise<void>
  if (process.env.TEST_DATABASE_URL) {
    const empty: TestDb = await createTestDb()
    env = { QR_AUTH_DATABASE_URL: empty.url }
    open = () => createDb({ url: empty.url })
    dispose = () => empty.close()
  } else {
    const dataRoot = mkdtempSync(join(tmpdir(), 'qr-auth-migrate-'))
    env = { GATEHOUSE_DATA_DIR: dataRoot }
    open = () => createDb({ dataDir: join(dataRoot, 'qr-auth') })
    dispose = async () => rmSync(dataRoot, { recursive: true, force: true })
  }
  return {
    async cli(...args) {
      let output = ''
      const out = {
        log: (text: string) => (output += `${text}\n`),
        error: (text: string) => (output += `${text}\n`),
      }
      const code = await runMigrationCli([...args, '--filter', 'qr-auth'], env, out)
      return { code, output }
    },
    open,
    dispose,
  }
}

/** Runs fn on the target's database; the CLI needs it closed again (PGlite has one user at a time). */
async function onDatabase<T>(target: Target, fn: (db: DbHandle) => Promise<T>): Promise<T> {
  const db = await target.open()
  try {
    return await fn(db)
  } finally {
    await db.close()
  }
}

async function seedColumns(db: DbHandle) {
  const rows = await db.raw.query<{ column_name: string }>(SEED_QUERY)
  return rows.sort((a, b) => a.column_name.localeCompare(b.column_name))
}

const countSessions = async (db: DbHandle) =>
  Number((await db.raw.query<{ n: number }>('select count(*)::int as n from auth_sessions'))[0]?.n)

describe('migrations (pnpm migrate --filter qr-auth)', () => {
  let target: Target
  beforeAll(async () => {
    target = await emptyTarget()
  })
  afterAll(async () => target?.dispose())

  it("answers the seed's verification query with exactly its two rows on an empty database", async () => {
    const up = await target.cli('up')
    expect(up.code, up.output).toBe(0)
    expect(up.output).toContain('applied 0001_AddAuthSessionExchangeToken')
    expect(await onDatabase(target, seedColumns)).toEqual(SEED_ROWS)
  })

  it('goes down and up again on a database holding sessions, keeping them', async () => {
    const held = await onDatabase(target, async (db) => {
      const { app } = await startQrApp(db as TestDb, { authApiUrl: 'http://127.0.0.1:1' })
      const sessions = [await createSession(app), await createSession(app)]
      await app.close()
      return sessions
    })
    const down = await target.cli('down')
    expect(down.code, down.output).toBe(0)
    const up = await target.cli('up')
    expect(up.code, up.output).toBe(0)
    await onDatabase(target, async (db) => {
      expect(await countSessions(db)).toBe(2)
      const { app } = await startQrApp(db as TestDb, { authApiUrl: 'http://127.0.0.1:1' })
      const polled = await poll(app, held[0]!.id, held[0]!.pollToken)
      expect(polled.json().status).toBe('pending')
      await app.close()
    })
  })

  it("rolls back the seed's migration in its order and re-applies it: those sessions must start again", async () => {
    const sessions = await onDatabase(target, async (db) => {
      const { app } = await startQrApp(db as TestDb, { authApiUrl: 'http://127.0.0.1:1' })
      const user = randomUUID()
      const approved = await createSession(app)
      await scan(app, approved.id, codeIn(approved.qr.payload), user)
      await decide(app, 'approve', approved.id, user)
      await app.close()
      return { approved, before: await countSessions(db) }
    })
    // Down through AddAuthSessionExchangeToken: the poll function, the cleanup function, then the seed's.
    const down = await target.cli('down', '3')
    expect(down.code, down.output).toBe(0)
    expect(down.output).toContain('reverted 0001_AddAuthSessionExchangeToken')
    const legacyId = await onDatabase(target, async (db) => {
      expect(await seedColumns(db)).toEqual([])
      expect(await countSessions(db)).toBe(sessions.before)
      // A session the code of that time wrote: approved, no exchange token.
      const [row] = await db.raw.query<{ id: string }>(
        `insert into auth_sessions (status, user_id, poll_token_hash, code_hash, code_expires_at, poll_interval,
           approved_at, expires_at)
         values ('approved', $1, $2, $3, now() + interval '1 minute', 5, now(), now() + interval '2 minutes')
         returning id`,
        [randomUUID(), 'a'.repeat(64), 'b'.repeat(64)],
      )
      return row!.id
    })
    const up = await target.cli('up')
    expect(up.code, up.output).toBe(0)

    await onDatabase(target, async (db) => {
      expect(await seedColumns(db)).toEqual(SEED_ROWS)
      const legacy = await db.raw.query<{ exchange_token: string | null; is_exchanged: boolean }>(
        'select exchange_token, is_exchanged from auth_sessions where id = any($1)',
        [[legacyId, sessions.approved.id]],
      )
      expect(legacy).toEqual([
        { exchange_token: null, is_exchanged: false },
        { exchange_token: null, is_exchanged: false },
      ])
      const { app } = await startQrApp(db as TestDb, { authApiUrl: 'http://127.0.0.1:1' })
      // The approved session of before the rollback never yields a token, and is told to start again.
      const { id, pollToken } = sessions.approved
      for (const response of [
        await poll(app, id, pollToken),
        await app.inject({
          method: 'GET',
          url: `/api/qr/sessions/${id}/events`,
          headers: { 'x-qr-poll-token': pollToken },
        }),
        await exchange(app, { sessionId: id, exchangeToken: exchangeTokenFor(pollToken) }),
        await exchange(app, { sessionId: legacyId, exchangeToken: 'a'.repeat(64) }),
        await decide(app, 'approve', legacyId, randomUUID()),
      ]) {
        expect(response.statusCode).toBe(410)
        expect(response.json().code).toBe('QR_AUTH_SESSION_OUTDATED')
      }
      await app.close()
    })
  })

  it('has a down file for every migration, and reverts to an empty schema', async () => {
    const down = await target.cli('down', '4')
    expect(down.code, down.output).toBe(0)
    await onDatabase(target, async (db) => {
      const tables = await db.raw.query(
        `select 1 from information_schema.tables where table_name = 'auth_sessions'`,
      )
      expect(tables).toEqual([])
      const functions = await db.raw.query(
        `select 1 from pg_proc where proname in ('cleanup_qr_sessions', 'poll_qr_session')`,
      )
      expect(functions).toEqual([])
    })
    const up = await target.cli('up')
    expect(up.code, up.output).toBe(0)
    const verify = await target.cli('verify')
    expect(verify.code, verify.output).toBe(0)
  })
})
