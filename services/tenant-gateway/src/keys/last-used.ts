import type { Database } from '@gatehouse/db-kit'
import { type Batcher, createBatcher } from '@gatehouse/service-kit'
import { sql } from 'drizzle-orm'
import type { FastifyBaseLogger } from 'fastify'

/**
 * api_keys.last_used_at, written in batches (one statement for many keys, latest use per key) so that a verified
 * request never waits for a database write. Listings are accurate to the flush interval (1 s).
 */
export function createLastUsedRecorder(
  db: Database,
  log: FastifyBaseLogger,
): Batcher<{ keyId: string; at: Date }> {
  return createBatcher({
    name: 'api_keys.last_used_at',
    log,
    maxItems: 5_000,
    write: async (uses) => {
      const latest = new Map<string, Date>()
      for (const { keyId, at } of uses) {
        const seen = latest.get(keyId)
        if (!seen || seen < at) latest.set(keyId, at)
      }
      const rows = JSON.stringify([...latest].map(([id, at]) => ({ id, at: at.toISOString() })))
      await db.execute(sql`
        update api_keys as k set last_used_at = u.at
        from json_to_recordset(${rows}::json) as u(id uuid, at timestamptz)
        where k.id = u.id and (k.last_used_at is null or k.last_used_at < u.at)`)
    },
  })
}
