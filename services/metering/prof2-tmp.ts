import { randomUUID } from 'node:crypto'
import { createTestDb } from '@gatehouse/db-kit/testing'
import { createPartitionKeeper } from './src/partitions.ts'
const db = await createTestDb({ migrationsDir: new URL('./migrations', import.meta.url).pathname, service: 'metering' })
const text = (await import('node:fs')).readFileSync('./src/event-store.ts', 'utf8')
const body = text.slice(text.indexOf('    with input as ('), text.indexOf('left join claimed c using (tenant_id, idempotency_key)`') + 'left join claimed c using (tenant_id, idempotency_key)'.length)
  .replace('${payload}::json', '$1::text::json').replaceAll('${receivedAt.toISOString()}::timestamptz', '$2::timestamptz')
try {
  await createPartitionKeeper(db.db, { clock: () => new Date(), monthsAhead: 1 }).ensureAhead()
  const tenants = Array.from({ length: 200 }, () => randomUUID())
  const payload = () => JSON.stringify(Array.from({ length: 500 }, (_, ord) => ({ ord, tenant_id: tenants[Math.floor(Math.random() * 200)]!, metric: 'api.request', quantity: '1', occurred_at: new Date(Date.now() - Math.random() * 7e6).toISOString(), idempotency_key: randomUUID(), source: 'gateway', key_id: randomUUID(), properties: { upstream: 'bom-triggers', method: 'GET', path: '/api/tasks/42', status: 200, durationMs: 3.2, requestId: randomUUID() }, voids_event_id: null, voided_by: null, void_reason: null })))
  for (let i = 0; i < 200; i++) await db.raw.query(body, [payload(), new Date().toISOString()])
  const plan = await db.raw.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers, timing) ${body}`, [payload(), new Date().toISOString()])
  console.log(plan.map((r) => r['QUERY PLAN']).join('\n'))
} finally { await db.close() }
