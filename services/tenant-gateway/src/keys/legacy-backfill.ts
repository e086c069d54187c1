import type { Database } from '@gatehouse/db-kit'
import { and, asc, count, gt, isNotNull, sql } from 'drizzle-orm'
import { apiKeys, clients } from '../db/schema/index.ts'
import { displayPrefixOf, type KeyHasher, keyShapeOf } from './api-keys.ts'
import type { KeyVerifier } from './key-verification.ts'

export const MIGRATED_KEY_NAME = 'migrated-legacy'

export interface BackfillProgress {
  total: number
  processed: number
  migrated: number
  failed: number
}

export interface BackfillReport extends BackfillProgress {
  dryRun: boolean
  /** Client ids (never keys) whose legacy key could not be migrated; their raw column is left as it was. */
  failedClientIds: string[]
}

/**
 * Seed 004 step 3: every raw `clients.api_key` becomes an `api_keys` row (name 'migrated-legacy', the client's
 * created_at) holding only its peppered hash; once the key is verified to resolve to its client through the
 * gateway's own verifier, the raw column is nulled. Batches walk the clients by id. Idempotent and resumable: a
 * re-run only sees clients whose raw column is still set, and re-inserting an already migrated hash is a no-op.
 * A dry run reads and hashes, and writes nothing.
 */
export async function backfillLegacyKeys(deps: {
  db: Database
  hasher: KeyHasher
  /** Must accept legacy keys and must not cache (each migrated key is looked up in the database). */
  verifier: KeyVerifier
  dryRun?: boolean
  batchSize?: number
  onProgress?: (progress: BackfillProgress) => void
}): Promise<BackfillReport> {
  const { db, hasher, verifier } = deps
  const batchSize = deps.batchSize ?? 200
  const [counted] = await db.select({ total: count() }).from(clients).where(isNotNull(clients.apiKey))
  const report: BackfillReport = {
    dryRun: deps.dryRun ?? false,
    total: counted?.total ?? 0,
    processed: 0,
    migrated: 0,
    failed: 0,
    failedClientIds: [],
  }
  const fail = (clientId: string) => {
    report.failed += 1
    if (report.failedClientIds.length < 100) report.failedClientIds.push(clientId)
  }
  deps.onProgress?.(report)

  let cursor = '00000000-0000-0000-0000-000000000000'
  for (;;) {
    const batch = await db
      .select({ id: clients.id, apiKey: clients.apiKey, createdAt: clients.createdAt })
      .from(clients)
      .where(and(isNotNull(clients.apiKey), gt(clients.id, cursor)))
      .orderBy(asc(clients.id))
      .limit(batchSize)
    if (batch.length === 0) break
    cursor = batch.at(-1)!.id

    const migratable = batch.flatMap((client) => {
      // A value the gateway would refuse before lookup can never resolve: leave it for the operator.
      if (keyShapeOf(client.apiKey!) === 'malformed') {
        fail(client.id)
        return []
      }
      return [{ ...client, apiKey: client.apiKey!, ...hasher.hash(client.apiKey!) }]
    })

    if (report.dryRun) {
      report.migrated += migratable.length
    } else if (migratable.length > 0) {
      await db
        .insert(apiKeys)
        .values(
          migratable.map((client) => ({
            clientId: client.id,
            name: MIGRATED_KEY_NAME,
            keyPrefix: displayPrefixOf(client.apiKey),
            apiKeyHash: client.hash,
            pepperVersion: client.pepperVersion,
            createdAt: client.createdAt,
          })),
        )
        .onConflictDoNothing({ target: apiKeys.apiKeyHash })
      const verified: typeof migratable = []
      for (const client of migratable) {
        const check = await verifier.verify(client.apiKey)
        if (check.key?.clientId === client.id) verified.push(client)
        else fail(client.id)
      }
      if (verified.length > 0) {
        const rows = JSON.stringify(verified.map((client) => ({ id: client.id, hash: client.hash })))
        await db.execute(sql`
          update clients as c set api_key = null, api_key_hash = v.hash
          from json_to_recordset(${rows}::json) as v(id uuid, hash text)
          where c.id = v.id and c.api_key is not null`)
      }
      report.migrated += verified.length
    }
    report.processed += batch.length
    deps.onProgress?.(report)
  }
  return report
}

/** How many raw legacy keys are still stored (0 once the backfill is complete). */
export async function countLegacyRawKeys(db: Database): Promise<number> {
  const [row] = await db.select({ total: count() }).from(clients).where(isNotNull(clients.apiKey))
  return row?.total ?? 0
}
