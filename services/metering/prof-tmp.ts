import { randomUUID } from 'node:crypto'
import { createTestDb } from '@gatehouse/db-kit/testing'
import { createEventStore } from './src/event-store.ts'
import { createPartitionKeeper } from './src/partitions.ts'
import type { NewEvent } from './src/event-input.ts'
const db = await createTestDb({ migrationsDir: new URL('./migrations', import.meta.url).pathname, service: 'metering' })
try {
  const keeper = createPartitionKeeper(db.db, { clock: () => new Date(), monthsAhead: 1 })
  await keeper.ensureAhead()
  const store = createEventStore(db.db, keeper)
  const tenants = Array.from({ length: 200 }, () => randomUUID())
  const batch = (): NewEvent[] => Array.from({ length: 500 }, () => ({ tenantId: tenants[Math.floor(Math.random() * 200)]!, metric: 'api.request', quantity: '1', occurredAt: new Date(Date.now() - Math.random() * 7e6), idempotencyKey: randomUUID(), source: 'gateway', keyId: randomUUID(), properties: { upstream: 'bom-triggers', method: 'GET', path: '/api/tasks/42', status: 200, durationMs: 3.2, requestId: randomUUID() } }))
  for (let i = 0; i < 100; i++) await store.store(batch(), new Date())
  const t0 = performance.now()
  for (let i = 0; i < 100; i++) await store.store(batch(), new Date())
  console.log('sequential store of 500:', ((performance.now() - t0) / 100).toFixed(2), 'ms/batch')
  const t1 = performance.now()
  await Promise.all(Array.from({ length: 4 }, async () => { for (let i = 0; i < 25; i++) await store.store(batch(), new Date()) }))
  console.log('4 concurrent:', (100 * 500 / ((performance.now() - t1) / 1000)).toFixed(0), 'events/s')
} finally { await db.close() }
