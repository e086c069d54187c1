import {
  createServiceApp,
  loggableError,
  type ServiceDeps,
  type ServiceInstance,
  systemClock,
} from '@gatehouse/service-kit'
import { createApprovals } from './approvals.ts'
import { createAuthApiClient } from './auth-api-client.ts'
import type { Config } from './config.ts'
import { createDesktopSessions } from './desktop-sessions.ts'
import { createExchange } from './exchange.ts'
import { adminRoutes } from './routes/admin.ts'
import { desktopRoutes } from './routes/desktop.ts'
import { eventRoutes } from './routes/events.ts'
import { exchangeRoutes } from './routes/exchange.ts'
import { phoneRoutes } from './routes/phone.ts'
import { qrImageRoutes } from './routes/qr-images.ts'
import { createSessionWatch } from './session-watch.ts'

export type AppDeps = ServiceDeps<Config>

// Bodies here are a few small JSON fields; anything larger is refused with 413 before parsing.
const BODY_LIMIT_BYTES = 16 * 1024

export function buildApp(deps: AppDeps): ServiceInstance {
  const { config, db, clock = systemClock } = deps
  const app = createServiceApp('qr-auth', deps, { bodyLimit: BODY_LIMIT_BYTES })

  const desktop = createDesktopSessions(db.db, {
    clock,
    settings: {
      sessionTtlSeconds: config.QR_SESSION_TTL_SECONDS,
      codeTtlSeconds: config.QR_CODE_TTL_SECONDS,
      pollIntervalSeconds: config.QR_POLL_INTERVAL_SECONDS,
    },
  })
  const approvals = createApprovals(db.db, { clock })
  const authApi = createAuthApiClient({
    baseUrl: config.AUTH_API_URL,
    internalSecret: config.INTERNAL_SECRET,
    timeoutMs: config.AUTH_API_TIMEOUT_MS,
  })
  const exchange = createExchange(db.db, { clock, authApi })
  const watch = createSessionWatch({
    read: (ids) => desktop.snapshots(ids),
    intervalMs: config.QR_EVENTS_WATCH_MS,
    onError: (error) => app.log.warn({ error: loggableError(error) }, 'qr session watch failed'),
  })
  const payloadOf = (sessionId: string, code: string) => {
    const url = new URL(config.QR_APPROVE_URL)
    url.searchParams.set('sid', sessionId)
    url.searchParams.set('code', code)
    return url.toString()
  }
  // Open event streams would hold the close open: end them first.
  app.addHook('preClose', async () => watch.close())
  app.addHook('onClose', async () => authApi.close())

  app.register(desktopRoutes, { prefix: '/api/qr/sessions', desktop, payloadOf })
  app.register(qrImageRoutes, { prefix: '/api/qr/sessions', desktop, payloadOf })
  app.register(eventRoutes, {
    prefix: '/api/qr/sessions',
    desktop,
    watch,
    clock,
    heartbeatSeconds: config.QR_EVENTS_HEARTBEAT_SECONDS,
  })
  app.register(phoneRoutes, { prefix: '/api/qr/sessions', approvals, watch })
  app.register(exchangeRoutes, { prefix: '/api/qr', exchange, watch })
  app.register(adminRoutes, { prefix: '/api/admin', db: db.db, clock, cronSecret: config.CRON_SECRET })
  return app
}
