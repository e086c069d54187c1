import type { DbHandle } from '@gatehouse/db-kit'
import type { Clock } from './clock.ts'
import { buildService, type ServiceInstance, type ServiceOptions } from './create-service.ts'
import { callerPackageDir } from './error-tables.ts'
import type { LoggerSettings } from './logger.ts'
import { type PlatformConfig, platformSettingsOf } from './platform-settings.ts'
import { type ServiceName, serviceNamed } from './registry.ts'
import { parseTrustedProxies } from './trusted-proxies.ts'

/** What a service's `buildApp` takes: its loaded config and database; tests add a logger and a clock. */
export interface ServiceDeps<Config> {
  config: Config
  db: DbHandle
  logger?: LoggerSettings | false
  /** Time for anything with a TTL; tests pass createTestClock(). */
  clock?: Clock
}

/** The variables of a loaded config (`serviceEnv`) that createService takes its settings from. */
export type ServiceAppConfig = PlatformConfig & {
  LOG_LEVEL: string
  LOG_PRETTY: boolean
  INTERNAL_SECRET?: string
  TRUST_PROXY?: string
}

/**
 * createService as a service's app.ts calls it, with the settings its config holds: the readiness probe on its
 * database, TRUST_PROXY, the logger (the test's, else LOG_LEVEL and LOG_PRETTY), the platform settings (what
 * bootService would pass, also when a test builds the app itself) and, in an upstream of the gateway, the caller
 * context verified with INTERNAL_SECRET (the gateway resolves its callers itself). `options` add to or override them.
 */
export function createServiceApp(
  name: ServiceName,
  { config, db, logger }: ServiceDeps<ServiceAppConfig>,
  options: Omit<ServiceOptions, 'name'> = {},
): ServiceInstance {
  const upstream = serviceNamed(name).access !== 'gateway'
  return buildService(
    {
      name,
      database: db,
      trustProxy: parseTrustedProxies(config.TRUST_PROXY),
      ...(upstream && config.INTERNAL_SECRET ? { internalSecret: config.INTERNAL_SECRET } : {}),
      logger: logger ?? { level: config.LOG_LEVEL, pretty: config.LOG_PRETTY },
      platform: platformSettingsOf(config),
      ...options,
    },
    // The package of the app.ts that called: its error tables are the service's.
    callerPackageDir(1),
  )
}
