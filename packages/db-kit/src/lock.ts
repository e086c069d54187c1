import { createHash } from 'node:crypto'
import type { DbHandle } from './db.ts'
import type { RawSql } from './raw-sql.ts'

/** A stable signed 64-bit advisory lock key for a service's migrations. */
export function migrationLockKey(service: string): string {
  return createHash('sha256').update(`gatehouse:migrations:${service}`).digest().readBigInt64BE(0).toString()
}

/**
 * Runs fn holding the service's session advisory lock on a dedicated connection. A second runner waits,
 * then finds nothing left to do.
 */
export async function withMigrationLock<T>(
  handle: DbHandle,
  service: string,
  log: (line: string) => void,
  fn: (conn: RawSql) => Promise<T>,
): Promise<T> {
  return handle.raw.withConnection(async (conn) => {
    const key = migrationLockKey(service)
    const [row] = await conn.query<{ locked: boolean }>('select pg_try_advisory_lock($1::bigint) as locked', [
      key,
    ])
    if (!row?.locked) {
      log(`waiting for another migration run of ${service} to finish`)
      await conn.query('select pg_advisory_lock($1::bigint)', [key])
    }
    try {
      return await fn(conn)
    } finally {
      // If the connection died, Postgres released the lock with it; do not hide fn's error behind that.
      await conn.query('select pg_advisory_unlock($1::bigint)', [key]).catch(() => undefined)
    }
  })
}
