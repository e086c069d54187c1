import { join } from 'node:path'
import { eq, sql } from 'drizzle-orm'
import { integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core'
import postgres from 'postgres'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDb } from '../src/index.ts'
import { createTestDb, openPoolConnections, type TestDb } from '../src/testing.ts'
import { removeTempDirs, tempDir } from './helpers.ts'

const notes = pgTable('notes', {
  id: integer().primaryKey(),
  body: text().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
})
const createNotes =
  'create table notes (id integer primary key, body text not null, created_at timestamptz not null default now())'

afterAll(removeTempDirs)

describe('createDb with PGlite', () => {
  it('starts every new embedded database as a fresh cluster of its own (from the shared image, not a copy of another)', async () => {
    const first = await createDb({})
    const second = await createDb({ dataDir: join(await tempDir(), 'svc') })
    try {
      await first.raw.exec(createNotes)
      const tables = `select count(*)::int as n from pg_tables where schemaname = 'public'`
      expect(await first.raw.query(tables)).toEqual([{ n: 1 }])
      expect(await second.raw.query(tables)).toEqual([{ n: 0 }])
      expect(await second.raw.query('select current_database() as db')).toEqual([{ db: 'postgres' }])
    } finally {
      await Promise.all([first.close(), second.close()])
    }
  })

  it('persists in dataDir across reopen, creating the folder', async () => {
    const dataDir = join(await tempDir(), 'nested', 'service')
    const first = await createDb({ dataDir })
    expect(first.kind).toBe('pglite')
    await first.raw.exec(`${createNotes}; insert into notes (id, body) values (1, 'kept')`)
    await first.close()

    const reopened = await createDb({ dataDir })
    expect(await reopened.db.select({ body: notes.body }).from(notes)).toEqual([{ body: 'kept' }])
    await reopened.close()
  })
})

describe('createDb with postgres.js', () => {
  it('ping rejects fast when the server is unreachable', async () => {
    const handle = await createDb({ url: 'postgres://postgres@127.0.0.1:1/none' })
    const started = Date.now()
    await expect(handle.ping()).rejects.toThrow()
    expect(Date.now() - started).toBeLessThan(3000)
    await handle.close()
  })
})

describe('a test database', () => {
  let db: TestDb
  beforeEach(async () => {
    db = await createTestDb({})
    await db.raw.exec(createNotes)
  })
  afterEach(async () => db.close())

  it('raw returns the same types on both drivers', async () => {
    // JSON parameters are passed as values, not strings: postgres.js would encode a string a second time.
    const [row] = await db.raw.query(`select now() as at, '{"a": [1]}'::jsonb as doc, $1::jsonb as param`, [
      { b: true },
    ])
    expect(row?.at).toBeInstanceOf(Date)
    expect(row?.doc).toEqual({ a: [1] })
    expect(row?.param).toEqual({ b: true })
  })

  it('pings with a latency', async () => {
    expect(await db.ping()).toBeGreaterThanOrEqual(0)
  })

  it('maps camelCase columns to snake_case through drizzle', async () => {
    await db.db.insert(notes).values({ id: 1, body: 'hello' })
    const [row] = await db.db.select().from(notes).where(eq(notes.id, 1))
    expect(row?.createdAt).toBeInstanceOf(Date)
    await db.db.transaction(async (tx) => {
      await tx.update(notes).set({ body: 'changed' }).where(eq(notes.id, 1))
    })
    await db.db.execute(sql`delete from notes where id = ${2}`)
    expect(await db.raw.query('select body from notes')).toEqual([{ body: 'changed' }])
  })

  it('raw transactions roll back on error, nested ones as savepoints', async () => {
    await expect(
      db.raw.transaction(async (tx) => {
        await tx.query('insert into notes (id, body) values ($1, $2)', [1, 'lost'])
        throw new Error('abort')
      }),
    ).rejects.toThrow('abort')
    await db.raw.transaction(async (tx) => {
      await tx.query('insert into notes (id, body) values ($1, $2)', [2, 'kept'])
      await tx.transaction(() => Promise.reject(new Error('inner'))).catch(() => undefined)
      await tx.transaction((inner) => inner.query('insert into notes (id, body) values (3, $1)', ['nested']))
    })
    expect(await db.raw.query('select id, body from notes order by id')).toEqual([
      { id: 2, body: 'kept' },
      { id: 3, body: 'nested' },
    ])
  })

  it('withConnection keeps one session, with transactions on it', async () => {
    await db.raw.withConnection(async (conn) => {
      await conn.exec(`set application_name = 'db_kit_test'`)
      await expect(
        conn.transaction(async (tx) => {
          await tx.exec(`insert into notes (id, body) values (1, 'lost')`)
          throw new Error('abort')
        }),
      ).rejects.toThrow('abort')
      await conn.transaction((tx) => tx.exec(`insert into notes (id, body) values (2, 'kept')`))
      expect(await conn.query('show application_name')).toEqual([{ application_name: 'db_kit_test' }])
    })
    expect(await db.raw.query('select id from notes')).toEqual([{ id: 2 }])
  })

  // Only PostgreSQL has per-test databases to drop; the CI PostgreSQL pass runs this.
  describe.runIf(process.env.TEST_DATABASE_URL)('on PostgreSQL', () => {
    it('close() drops the per-test database on PostgreSQL', async () => {
      const name = new URL(db.url ?? '').pathname.slice(1)
      const extra = await createTestDb({})
      const extraName = new URL(extra.url ?? '').pathname.slice(1)
      await extra.close()
      const server = postgres(process.env.TEST_DATABASE_URL ?? '', { max: 1 })
      const rows = await server`select datname from pg_database where datname in (${name}, ${extraName})`
      await server.end()
      expect(rows.map((row) => row.datname)).toEqual([name])
    })

    it('openPoolConnections leaves that many connections open for a race test to use', async () => {
      const connections = async () => {
        const [row] = await db.raw.query<{ n: number }>(
          'select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
        )
        return row?.n ?? 0
      }
      expect(await connections()).toBeLessThan(4)
      await openPoolConnections(db, 4)
      expect(await connections()).toBeGreaterThanOrEqual(4)
    })
  })
})
