import type { Database } from '@gatehouse/db-kit'
import { and, desc, eq, gte, lt, type SQL, sql } from 'drizzle-orm'
import { type EventSource, usageEventKeys, usageEvents } from './db/schema/index.ts'
import { errors } from './errors.ts'
import { VOID_KEY_PREFIX } from './event-input.ts'

export interface EventListQuery {
  tenantId: string
  metric?: string | undefined
  keyId?: string | undefined
  source?: EventSource | undefined
  from?: Date | undefined
  to?: Date | undefined
  limit: number
  cursor?: string | undefined
}

/** The position after the last event of a page: its occurred_at to the microsecond (a Date holds only ms), and id. */
interface Position {
  at: string
  id: string
}

const e = usageEvents

/** A tenant's raw events, newest first, keyset-paginated on (occurred_at, id). */
export async function listEvents(db: Database, query: EventListQuery) {
  const filters: SQL[] = [eq(e.tenantId, query.tenantId)]
  if (query.metric) filters.push(eq(e.metric, query.metric))
  if (query.keyId) filters.push(eq(e.keyId, query.keyId))
  if (query.source) filters.push(eq(e.source, query.source))
  if (query.from) filters.push(gte(e.occurredAt, query.from))
  if (query.to) filters.push(lt(e.occurredAt, query.to))
  if (query.cursor) {
    const after = decodeCursor(query.cursor)
    filters.push(sql`(${e.occurredAt}, ${e.id}) < (${after.at}::timestamptz, ${after.id}::uuid)`)
  }
  const rows = await db
    .select({
      event: e,
      position: sql<string>`to_char(${e.occurredAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
      voided: sql<boolean>`exists (select 1 from ${usageEventKeys} k where k.tenant_id = ${e.tenantId}
        and k.idempotency_key = ${VOID_KEY_PREFIX} || ${e.id}::text)`,
    })
    .from(e)
    .where(and(...filters))
    .orderBy(desc(e.occurredAt), desc(e.id))
    .limit(query.limit + 1)
  const page = rows.slice(0, query.limit)
  const last = page.at(-1)
  return {
    events: page.map((row) => ({ ...row.event, voided: row.voided })),
    nextCursor:
      rows.length > query.limit && last ? encodeCursor({ at: last.position, id: last.event.id }) : null,
  }
}

function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.at, position.id])).toString('base64url')
}

const CURSOR_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

function decodeCursor(cursor: string): Position {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw errors.CURSOR_INVALID('The cursor is not one this API returned.')
  }
  const [at, id] = Array.isArray(value) ? value : []
  const valid =
    typeof at === 'string' && typeof id === 'string' && CURSOR_AT.test(at) && UUID.test(id) && isInstant(at)
  if (!valid) throw errors.CURSOR_INVALID('The cursor is not one this API returned.')
  return { at, id }
}

/** Refuses what the pattern lets through but is no instant (month 13, February 30). */
function isInstant(at: string): boolean {
  const instant = new Date(`${at.slice(0, 23)}Z`)
  return !Number.isNaN(instant.getTime()) && instant.toISOString().slice(0, 19) === at.slice(0, 19)
}
