import { mkdir, readdir } from 'node:fs/promises'
import { PGlite, type Transaction } from '@electric-sql/pglite'
import { drizzle } from 'drizzle-orm/pglite'
import { lockEmbeddedDatabase } from './embedded-lock.ts'
import type { DbHandle } from './handle.ts'
import { freshClusterImage } from './pglite-image.ts'
import { timePing } from './ping.ts'
import { type RawSql, type Statements, transactionScope } from './raw-sql.ts'

export async function openPglite(dataDir: string | undefined): Promise<DbHandle> {
  if (dataDir) await mkdir(dataDir, { recursive: true })
  // One process at a time per data folder: PGlite would let a second one write and lose it (embedded-lock.ts).
  const release = dataDir ? lockEmbeddedDatabase(dataDir) : undefined
  let pg: PGlite
  try {
    const isNew = dataDir === undefined || (await readdir(dataDir)).length === 0
    pg = isNew
      ? await PGlite.create(dataDir, { loadDataDir: await freshClusterImage() })
      : await PGlite.create(dataDir)
  } catch (error) {
    release?.()
    throw error
  }
  const transaction: RawSql['transaction'] = (fn) =>
    pg.transaction((tx) => fn(transactionScope(statementsOn(tx))))
  const held: RawSql = { ...statementsOn(pg), transaction, withConnection: (fn) => fn(held) }
  // PGlite has one session, so a session advisory lock is re-entrant for every caller: withConnection
  // queues its callers instead, which is what a dedicated connection gives on PostgreSQL.
  let queue: Promise<unknown> = Promise.resolve()
  const raw: RawSql = {
    ...held,
    withConnection: (fn) => {
      const run = queue.then(() => fn(held))
      queue = run.catch(() => undefined)
      return run
    },
  }
  return {
    kind: 'pglite',
    db: drizzle({ client: pg, casing: 'snake_case' }),
    raw,
    ping: () => timePing(raw),
    close: async () => {
      try {
        await pg.close()
      } finally {
        release?.()
      }
    },
  }
}

function statementsOn(pg: PGlite | Transaction): Statements {
  return {
    query: async <T>(text: string, params?: unknown[]) => (await pg.query<T>(text, params)).rows,
    exec: async (text) => {
      await pg.exec(text)
    },
  }
}
