import type { DbHandle } from '@gatehouse/db-kit'
import { type Clock, createService, type LoggerSettings, type ServiceInstance } from '@gatehouse/service-kit'
import type { Config } from './config.ts'

export interface AppDeps {
  config: Config
  db: DbHandle
  logger?: LoggerSettings | false
  /** Time for anything with a TTL; tests pass createTestClock(). */
  clock?: Clock
}

export function buildApp({ config, db, logger }: AppDeps): ServiceInstance {
  return createService({
    name: 'qr-auth',
    database: db,
    ...(config.INTERNAL_SECRET ? { internalSecret: config.INTERNAL_SECRET } : {}),
    logger: logger ?? { level: config.LOG_LEVEL, pretty: config.LOG_PRETTY },
  })
}
