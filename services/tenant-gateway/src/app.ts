import type { DbHandle } from '@gatehouse/db-kit'
import { createService, type LoggerSettings, type ServiceInstance } from '@gatehouse/service-kit'
import type { Config } from './config.ts'
import { proxyRoutes } from './routes/proxy.ts'
import { upstreamsOf } from './upstreams.ts'

export interface AppDeps {
  config: Config
  db: DbHandle
  logger?: LoggerSettings | false
}

export function buildApp({ config, db, logger }: AppDeps): ServiceInstance {
  const app = createService({
    name: 'tenant-gateway',
    database: db,
    logger: logger ?? { level: config.LOG_LEVEL, pretty: config.LOG_PRETTY },
  })
  app.register(proxyRoutes, { upstreams: upstreamsOf(config), timeoutMs: config.UPSTREAM_TIMEOUT_MS })
  return app
}
