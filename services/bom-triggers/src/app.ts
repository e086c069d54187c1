import type { DbHandle } from '@gatehouse/db-kit'
import { createService, type LoggerSettings, type ServiceInstance } from '@gatehouse/service-kit'
import type { Config } from './config.ts'

export interface AppDeps {
  config: Config
  db: DbHandle
  logger?: LoggerSettings | false
}

export function buildApp({ config, db, logger }: AppDeps): ServiceInstance {
  return createService({
    name: 'bom-triggers',
    publicPrefix: '/api/bom-triggers',
    database: db,
    internalSecret: config.INTERNAL_SECRET,
    logger: logger ?? { level: config.LOG_LEVEL, pretty: config.LOG_PRETTY },
  })
}
