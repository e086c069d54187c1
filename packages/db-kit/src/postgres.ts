import { drizzle } from 'drizzle-orm/postgres-js'
import postgres from 'postgres'
import type { DbHandle } from './handle.ts'
import { timePing } from './ping.ts'
import { connectionScope, type RawSql, type Statements, transactionScope } from './raw-sql.ts'

export function openPostgres(url: string, max = 10): DbHandle {
  const options = { connect_timeout: 2, onnotice: () => {} }
  // drizzle() turns the date parsers and JSON serializers of the client it is given into pass-throughs,
  // so raw gets a client of its own and returns Dates and parsed JSON, as PGlite does.
  const client = postgres(url, { ...options, max })
  const sql = postgres(url, { ...options, max: 2 })
  const raw: RawSql = {
    ...statementsOn(sql),
    withConnection: async (fn) => {
      const reserved = await sql.reserve()
      try {
        // A reserved connection has no working begin() in postgres.js 3.4: connectionScope uses BEGIN/COMMIT.
        return await fn(connectionScope(statementsOn(reserved)))
      } finally {
        reserved.release()
      }
    },
    transaction: (fn) => sql.begin((tx) => fn(transactionScope(statementsOn(tx)))) as ReturnType<typeof fn>,
  }
  return {
    kind: 'postgres',
    db: drizzle({ client, casing: 'snake_case' }),
    raw,
    ping: () => timePing(raw),
    close: async () => {
      await Promise.all([client.end({ timeout: 5 }), sql.end({ timeout: 5 })])
    },
  }
}

function statementsOn(sql: postgres.Sql | postgres.TransactionSql | postgres.ReservedSql): Statements {
  return {
    query: async <T>(text: string, params: unknown[] = []) =>
      Array.from(await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[])) as T[],
    exec: async (text) => {
      await sql.unsafe(text)
    },
  }
}
