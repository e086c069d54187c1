import type { DbHandle } from '@gatehouse/db-kit'
import type { Sql } from 'postgres'

export interface ExportQuery {
  tenantId: string
  from: Date
  to: Date
  metric?: string | undefined
}

/** The CSV's columns, in order; every value comes out of SQL as text, identically on both drivers. */
export const EXPORT_COLUMNS = [
  'event_id',
  'occurred_at',
  'received_at',
  'metric',
  'quantity',
  'key_id',
  'source',
  'idempotency_key',
  'voids_event_id',
  'voided_by',
  'void_reason',
  'properties',
] as const

export type ExportRow = Record<(typeof EXPORT_COLUMNS)[number], string>

const ISO_US = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`
const SELECT = `
  select id::text as event_id,
    to_char(occurred_at at time zone 'UTC', ${ISO_US}) as occurred_at,
    to_char(received_at at time zone 'UTC', ${ISO_US}) as received_at,
    metric, quantity::text as quantity, coalesce(key_id::text, '') as key_id, source, idempotency_key,
    coalesce(voids_event_id::text, '') as voids_event_id, coalesce(voided_by, '') as voided_by,
    coalesce(void_reason, '') as void_reason, properties::text as properties
  from usage_events
  where tenant_id = $1 and occurred_at >= $2::timestamptz and occurred_at < $3::timestamptz`

/**
 * A period's events in (occurred_at, id) order, a page at a time, never the whole period in memory: a server-side
 * cursor on PostgreSQL (one connection held while the export runs), keyset pages on PGlite, whose driver has no
 * cursor. Stopping the iteration early closes the cursor.
 */
export function exportPages(
  handle: DbHandle,
  query: ExportQuery,
  pageSize = 1000,
): AsyncIterable<ExportRow[]> {
  const params: string[] = [query.tenantId, query.from.toISOString(), query.to.toISOString()]
  let where = SELECT
  if (query.metric) {
    params.push(query.metric)
    where += ` and metric = $${params.length}`
  }
  return handle.kind === 'postgres'
    ? cursorPages(postgresClientOf(handle), where, params, pageSize)
    : keysetPages(handle, where, params, pageSize)
}

async function* cursorPages(client: Sql, where: string, params: string[], pageSize: number) {
  yield* client.unsafe<ExportRow[]>(`${where} order by occurred_at, id`, params).cursor(pageSize)
}

async function* keysetPages(handle: DbHandle, where: string, params: string[], pageSize: number) {
  let after: ExportRow | undefined
  do {
    const position = after ? [after.occurred_at, after.event_id] : []
    const next = after
      ? ` and (occurred_at, id) > ($${params.length + 1}::timestamptz, $${params.length + 2}::uuid)`
      : ''
    const rows = await handle.raw.query<ExportRow>(
      `${where}${next} order by occurred_at, id limit ${pageSize}`,
      [...params, ...position],
    )
    if (rows.length > 0) yield rows
    after = rows.length === pageSize ? rows.at(-1) : undefined
  } while (after)
}

/** drizzle's postgres.js client (the service's pool): db-kit's handle has no cursor of its own. */
function postgresClientOf(handle: DbHandle): Sql {
  return (handle.db as unknown as { $client: Sql }).$client
}
