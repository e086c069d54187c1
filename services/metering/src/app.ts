import { createServiceApp, type ServiceDeps, type ServiceInstance, systemClock } from '@gatehouse/service-kit'
import type { Config } from './config.ts'
import { createEventStore } from './event-store.ts'
import { createPartitionKeeper } from './partitions.ts'
import { alertRoutes } from './routes/alerts.ts'
import { exportRoutes } from './routes/export.ts'
import { internalRoutes } from './routes/internal.ts'
import { summaryRoutes } from './routes/summary.ts'
import { tenantEventRoutes } from './routes/tenant-events.ts'

export type AppDeps = ServiceDeps<Config>

const PARTITION_CHECK_MS = 60 * 60 * 1000

export function buildApp(deps: AppDeps): ServiceInstance {
  const { config, db, clock = systemClock } = deps
  const app = createServiceApp('metering', deps)
  const partitions = createPartitionKeeper(db.db, { clock, monthsAhead: config.PARTITION_MONTHS_AHEAD })
  const store = createEventStore(db.db, partitions)

  // Ahead of need, so ingest rarely creates one; a failure here is only logged (ingest creates on demand).
  const keepAhead = async () => {
    try {
      const created = await partitions.ensureAhead()
      if (created.length > 0) app.log.info({ partitions: created }, 'usage_events partitions created')
    } catch (error) {
      app.log.warn({ errorName: (error as Error).name }, 'could not create usage_events partitions ahead')
    }
  }
  let timer: NodeJS.Timeout | undefined
  app.addHook('onReady', async () => {
    await keepAhead()
    timer = setInterval(() => void keepAhead(), PARTITION_CHECK_MS)
    timer.unref()
  })
  app.addHook('onClose', async () => clearInterval(timer))

  app.register(tenantEventRoutes, { prefix: '/api/usage/events', db: db.db, store, clock })
  app.register(summaryRoutes, { prefix: '/api/usage', db: db.db, clock })
  app.register(alertRoutes, { prefix: '/api/usage', db: db.db })
  app.register(exportRoutes, { prefix: '/api/usage', db, concurrency: config.EXPORT_CONCURRENCY })
  app.register(internalRoutes, {
    prefix: '/internal',
    db: db.db,
    store,
    clock,
    secret: config.INTERNAL_SECRET,
  })
  return app
}
