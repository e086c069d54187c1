import { randomToken } from '@gatehouse/crypto'
import { createServiceApp, type ServiceDeps, type ServiceInstance, systemClock } from '@gatehouse/service-kit'
import type { Config } from './config.ts'
import type { EngineDeps } from './engine/chain.ts'
import { createTriggerCatalog } from './engine/trigger-catalog.ts'
import { countTriggerRuns, countWebhookAttempts } from './metrics.ts'
import { activityRoutes } from './routes/activity.ts'
import { adminRoutes } from './routes/admin.ts'
import { materialRoutes } from './routes/materials.ts'
import { taskRoutes } from './routes/tasks.ts'
import { requireTenant } from './routes/tenant-scope.ts'
import { triggerRoutes } from './routes/triggers.ts'
import { createTenantSetup } from './tenant-setup.ts'
import { deactivateGoneEndpoint, webhookSecretOf } from './triggers.ts'
import { createWebhookWorker, parseRetrySchedule, type WebhookWorker } from './webhooks/index.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** The outbox worker; tests that turn WEBHOOK_DELIVERY off call its runOnce() themselves. */
    webhookWorker: WebhookWorker
  }
}

export type AppDeps = ServiceDeps<Config>

export function buildApp(deps: AppDeps): ServiceInstance {
  const { config, db, clock = systemClock } = deps
  const app = createServiceApp('bom-triggers', deps)

  // Production requires WEBHOOK_SECRET_KEY and server.ts generates one for development: only a test without it
  // gets a key that lasts as long as the process.
  const webhookSecretKey = config.WEBHOOK_SECRET_KEY ?? randomToken()
  const worker = createWebhookWorker({
    db: db.db,
    log: app.log,
    clock,
    schedule: parseRetrySchedule(config.WEBHOOK_RETRY_SCHEDULE),
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    allowPrivateNetworks: config.WEBHOOK_ALLOW_PRIVATE_URLS,
    pollIntervalMs: config.WEBHOOK_POLL_INTERVAL_MS,
    userAgent: 'Gatehouse-BOM-Triggers/1',
    onAttempt: countWebhookAttempts(app.metrics),
    secretFor: (message) => webhookSecretOf(webhookSecretKey, message.tenantId ?? '', message.endpointKey),
    onEndpointGone: (message) =>
      deactivateGoneEndpoint(db.db, message.tenantId, message.endpointKey, clock()),
  })
  app.decorate('webhookWorker', worker)
  if (config.WEBHOOK_DELIVERY) app.addHook('onReady', async () => worker.start())
  app.addHook('onClose', async () => worker.stop())

  const catalog = createTriggerCatalog({ warn: (details, message) => app.log.warn(details, message) })
  const engine: EngineDeps = {
    clock,
    catalog,
    maxDepth: config.TRIGGER_MAX_DEPTH,
    onWebhooksCommitted: () => worker.kick(),
    onRunsLogged: countTriggerRuns(app.metrics),
    log: app.log,
  }
  const setup = createTenantSetup(db.db, clock)
  const triggerSettings = {
    allowPrivateNetworks: config.WEBHOOK_ALLOW_PRIVATE_URLS,
    maxPerTenant: config.TRIGGERS_PER_TENANT_MAX,
  }

  app.register(async (tenant) => {
    requireTenant(tenant, setup)
    tenant.register(taskRoutes, { prefix: '/api/tasks', ops: { db: db.db, engine } })
    tenant.register(materialRoutes, { prefix: '/api/materials', db: db.db, clock })
    tenant.register(activityRoutes, { prefix: '/api/bom-triggers', db: db.db })
    tenant.register(triggerRoutes, {
      prefix: '/api/bom-triggers',
      db: db.db,
      clock,
      catalog,
      settings: triggerSettings,
      webhookSecretKey,
    })
  })
  app.register(adminRoutes, {
    prefix: '/api/admin',
    db: db.db,
    raw: db.raw,
    clock,
    cronSecret: config.CRON_SECRET,
  })
  return app
}
