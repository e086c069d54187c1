import { randomBytes } from 'node:crypto'
import { sql } from 'drizzle-orm'
import postgres from 'postgres'
import { createDb, type DbHandle } from './db.ts'
import { migrateUp } from './migrate.ts'

export interface TestDb extends DbHandle {
  /** The per-test database's URL on PostgreSQL, to open a second handle to it. */
  url?: string
}

/**
 * A fresh database, migrated when migrationsDir is given: on the TEST_DATABASE_URL server (dropped by close())
 * or, without it, an in-memory PGlite.
 */
export async function createTestDb(opts: { migrationsDir?: string; service?: string } = {}): Promise<TestDb> {
  const serverUrl = process.env.TEST_DATABASE_URL
  const db = serverUrl ? await createServerTestDb(serverUrl) : await createDb({})
  if (opts.migrationsDir) {
    try {
      await migrateUp(db, { migrationsDir: opts.migrationsDir, service: opts.service ?? 'test' })
    } catch (error) {
      await db.close()
      throw error
    }
  }
  return db
}

async function createServerTestDb(serverUrl: string): Promise<TestDb> {
  const scratch = await createScratchDatabase(serverUrl)
  const handle = await createDb({ url: scratch.url, max: 5 })
  return {
    ...handle,
    url: scratch.url,
    close: async () => {
      await handle.close()
      await scratch.drop()
    },
  }
}

/** A database of its own on a PostgreSQL server (a test file's, a bench run's); drop() forces its connections out. */
export interface ScratchDatabase {
  name: string
  url: string
  drop(): Promise<void>
}

export async function createScratchDatabase(serverUrl: string, prefix = 'gh_test'): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`
  await onServer(serverUrl, `create database ${name}`)
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return {
    name,
    url: url.toString(),
    drop: () => onServer(serverUrl, `drop database if exists ${name} with (force)`),
  }
}

async function onServer(serverUrl: string, statement: string): Promise<void> {
  const sql = postgres(serverUrl, { max: 1, connect_timeout: 2, onnotice: () => {} })
  try {
    await sql.unsafe(statement)
  } finally {
    await sql.end()
  }
}

/**
 * Opens `count` pool connections (up to the pool's size) by holding them at once. postgres.js connects on demand,
 * so without this the concurrent statements of a race test queue on a fresh pool's first connection and reach
 * the server one after the other: the test would pass whatever the locking does.
 */
export async function openPoolConnections(db: DbHandle, count: number): Promise<void> {
  await Promise.all(Array.from({ length: count }, () => db.db.execute(sql`select pg_sleep(0.05)`)))
}
