export interface RawSql {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>
  /** Several statements may be sent at once (simple query protocol, no parameters). */
  exec(sqlText: string): Promise<void>
  /** Runs fn on one dedicated connection, e.g. to hold a session-level advisory lock. */
  withConnection<T>(fn: (conn: RawSql) => Promise<T>): Promise<T>
  transaction<T>(fn: (tx: RawSql) => Promise<T>): Promise<T>
}

export type Statements = Pick<RawSql, 'query' | 'exec'>

let savepointCount = 0

/** A RawSql bound to one open transaction: nested transactions become savepoints. */
export function transactionScope(conn: Statements): RawSql {
  const scope: RawSql = {
    query: (text, params) => conn.query(text, params),
    exec: (text) => conn.exec(text),
    withConnection: (fn) => fn(scope),
    transaction: async (fn) => {
      const name = `db_kit_sp_${++savepointCount}`
      await conn.exec(`savepoint ${name}`)
      try {
        const result = await fn(scope)
        await conn.exec(`release savepoint ${name}`)
        return result
      } catch (error) {
        await conn.exec(`rollback to savepoint ${name}`)
        throw error
      }
    },
  }
  return scope
}

/** A RawSql bound to one dedicated connection: transactions are BEGIN/COMMIT on it. */
export function connectionScope(conn: Statements): RawSql {
  const scope: RawSql = {
    query: (text, params) => conn.query(text, params),
    exec: (text) => conn.exec(text),
    withConnection: (fn) => fn(scope),
    transaction: async (fn) => {
      await conn.exec('begin')
      try {
        const result = await fn(transactionScope(conn))
        await conn.exec('commit')
        return result
      } catch (error) {
        // A failing rollback means the connection is gone, and the transaction with it: report the cause.
        await conn.exec('rollback').catch(() => undefined)
        throw error
      }
    },
  }
  return scope
}
