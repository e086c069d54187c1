/**
 * metering in its own process, for the usage-sink row: a fresh database on TEST_DATABASE_URL's server (run.ts
 * passes BENCH_DATABASE_URL or TEST_DATABASE_URL), migrated, dropped after; built as its server builds it
 * (production settings, LOG_LEVEL=warn). INTERNAL_SECRET comes from run.ts, shared with the gateway that sends.
 * Answers `count` with the gateway events it stored, `cpu` with its CPU time.
 */
import { createTestDb } from '@gatehouse/db-kit/testing'
import { answerCpuQuestions } from '@gatehouse/service-kit/bench'
import { buildApp } from '../../metering/src/app.ts'
import { loadMeteringConfig } from '../../metering/src/config.ts'

const db = await createTestDb({
  migrationsDir: new URL('../../metering/migrations', import.meta.url).pathname,
  service: 'metering',
})
const config = loadMeteringConfig({
  NODE_ENV: 'production',
  INTERNAL_SECRET: process.env.INTERNAL_SECRET,
  LOG_LEVEL: 'warn',
})
const app = await buildApp({ config, db })
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
process.send?.({ port: typeof address === 'object' && address ? address.port : 0, database: db.kind })
answerCpuQuestions()
process.on('message', async (message) => {
  if (message !== 'count') return
  const [row] = await db.raw.query<{ events: number; keys: number }>(
    `select count(*)::int as events, count(distinct idempotency_key)::int as keys from usage_events
     where metric = 'api.request' and source = 'gateway'`,
  )
  process.send?.(row)
})
process.on('disconnect', async () => {
  await app.close()
  await db.close()
  process.exit(0)
})
