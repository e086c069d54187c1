import type { Database } from '@gatehouse/db-kit'
import { sql } from 'drizzle-orm'
import { selectRows } from './db/rows.ts'
import type { NewEvent } from './event-input.ts'
import type { PartitionKeeper } from './partitions.ts'

export type StoreOutcome =
  | { status: 'accepted'; eventId: string }
  /** eventId: the stored event with this key; null when a concurrent request claimed the key a moment ago. */
  | { status: 'duplicate'; eventId: string | null }

export interface EventStore {
  /** Stores the events whose (tenant, idempotency key) is new; answers per event, in order. */
  store(events: readonly NewEvent[], receivedAt: Date): Promise<StoreOutcome[]>
}

export function createEventStore(db: Database, partitions: PartitionKeeper): EventStore {
  return {
    async store(events, receivedAt) {
      const firstOfKey = new Map<string, number>()
      const unique: NewEvent[] = []
      const uniqueIndexOf = events.map((event) => {
        const key = `${event.tenantId}\n${event.idempotencyKey}`
        let index = firstOfKey.get(key)
        if (index === undefined) {
          index = unique.push(event) - 1
          firstOfKey.set(key, index)
          return { index, repeated: false }
        }
        return { index, repeated: true }
      })
      if (unique.length === 0) return []
      const instants = unique.map((event) => event.occurredAt)
      await partitions.ensureFor(instants)
      let rows: ClaimRow[]
      try {
        rows = await insertClaimed(db, unique, receivedAt)
      } catch (error) {
        // The statement is idempotent, so trying it again is safe; it is worth it only if a partition was missing.
        if (!(await partitions.recheck(instants))) throw error
        rows = await insertClaimed(db, unique, receivedAt)
      }
      return uniqueIndexOf.map(({ index, repeated }): StoreOutcome => {
        const row = rows[index]
        if (!repeated && row?.inserted_id) return { status: 'accepted', eventId: row.inserted_id }
        return { status: 'duplicate', eventId: row?.inserted_id ?? row?.existing_id ?? null }
      })
    },
  }
}

interface ClaimRow {
  ord: number
  inserted_id: string | null
  existing_id: string | null
}

/**
 * One statement, so one transaction: claim the keys in the ledger (ON CONFLICT DO NOTHING), insert the events
 * whose keys were claimed, and add exactly those rows to the hourly rollup. A duplicate or a retry claims
 * nothing, so it never reaches the events or the rollup. Keys and rollup buckets are taken in a fixed order, so
 * concurrent batches sharing some wait for each other instead of deadlocking. The last select looks a key up in
 * the ledger only when it was not claimed (CASE runs the subquery lazily), and sees the ledger as it was before
 * the statement: the ids of keys claimed earlier.
 */
async function insertClaimed(
  db: Database,
  events: readonly NewEvent[],
  receivedAt: Date,
): Promise<ClaimRow[]> {
  const payload = JSON.stringify(
    events.map((event, ord) => ({
      ord,
      tenant_id: event.tenantId,
      metric: event.metric,
      quantity: event.quantity,
      occurred_at: event.occurredAt.toISOString(),
      idempotency_key: event.idempotencyKey,
      source: event.source,
      key_id: event.keyId,
      properties: event.properties,
      voids_event_id: event.void?.eventId ?? null,
      voided_by: event.void?.by ?? null,
      void_reason: event.void?.reason ?? null,
    })),
  )
  const rows = await selectRows<ClaimRow>(
    db,
    sql`
    with input as (
      select * from jsonb_to_recordset(${payload}::jsonb) as e(
        ord int, tenant_id uuid, metric text, quantity numeric, occurred_at timestamptz, idempotency_key text,
        source text, key_id uuid, properties jsonb, voids_event_id uuid, voided_by text, void_reason text)
    ),
    claimed as (
      insert into usage_event_keys (tenant_id, idempotency_key, event_id, occurred_at, received_at)
      select tenant_id, idempotency_key, gen_random_uuid(), occurred_at, ${receivedAt.toISOString()}::timestamptz
      from input
      order by tenant_id, idempotency_key
      on conflict do nothing
      returning tenant_id, idempotency_key, event_id
    ),
    inserted as (
      insert into usage_events (id, tenant_id, metric, quantity, occurred_at, received_at, idempotency_key, source,
        key_id, properties, voids_event_id, voided_by, void_reason)
      select c.event_id, i.tenant_id, i.metric, i.quantity, i.occurred_at, ${receivedAt.toISOString()}::timestamptz,
        i.idempotency_key, i.source, i.key_id, i.properties, i.voids_event_id, i.voided_by, i.void_reason
      from input i join claimed c using (tenant_id, idempotency_key)
      returning tenant_id, metric, key_id, occurred_at, quantity, voids_event_id
    ),
    rolled_up as (
      insert into usage_rollups_hourly (tenant_id, metric, key_id, hour, quantity, event_count)
      select tenant_id, metric, key_id, date_trunc('hour', occurred_at, 'UTC'), sum(quantity),
        sum(case when voids_event_id is null then 1 else -1 end)
      from inserted
      group by 1, 2, 3, 4
      order by 1, 2, 4, 3
      on conflict (tenant_id, metric, hour, key_id) do update
        set quantity = usage_rollups_hourly.quantity + excluded.quantity,
            event_count = usage_rollups_hourly.event_count + excluded.event_count
    )
    select i.ord, c.event_id as inserted_id,
      case when c.event_id is null then (
        select k.event_id from usage_event_keys k where k.tenant_id = i.tenant_id and k.idempotency_key = i.idempotency_key
      ) end as existing_id
    from input i
    left join claimed c using (tenant_id, idempotency_key)`,
  )
  const byOrd: ClaimRow[] = []
  for (const row of rows) byOrd[row.ord] = row
  return byOrd
}
