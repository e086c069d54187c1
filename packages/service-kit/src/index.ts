export { type Batcher, createBatcher } from './batcher.ts'
export { type BootConfig, bootService, openServiceDatabase } from './boot.ts'
export type { Caller, TenantCaller } from './caller.ts'
export { callerContext, requireTenantCaller } from './caller-context.ts'
export { addSeconds, type Clock, createTestClock, systemClock, type TestClock } from './clock.ts'
export {
  ConfigError,
  commonEnv,
  configOrExit,
  devSecretsFileOf,
  loadConfig,
  loadServiceConfig,
  type SecretRules,
  secretEnv,
  serviceEnv,
} from './config.ts'
export { type ContextSigner, createContextSigner } from './context-signer.ts'
export { createService, type ServiceInstance, type ServiceOptions } from './create-service.ts'
export { loadDevSecrets } from './dev-secrets.ts'
export {
  defineErrors,
  type ErrorFactory,
  errorHandling,
  type FieldError,
  type Problem,
  problemType,
  ServiceError,
  sendProblem,
  sendServiceError,
} from './errors.ts'
export { type ReadinessProbe, withTimeout } from './health.ts'
export {
  INTERNAL_CONTEXT_HEADER,
  SERVICE_TOKEN_HEADER,
  signInternalContext,
  signServiceToken,
  verifyInternalContext,
  verifyServiceToken,
} from './internal-auth.ts'
export { type LoggerSettings, loggerOptions, redactPaths } from './logger.ts'
export { closeRedis, connectRedis, redisReady } from './redis.ts'
export {
  type Access,
  databaseEnvOf,
  envStemOf,
  SERVICES,
  type ServiceEntry,
  type ServiceName,
  serviceNamed,
  upstreamServices,
  upstreamUrlEnvOf,
} from './registry.ts'
export { type RunOptions, runService } from './run-service.ts'
export { type RateLimitState, rateLimitHeaders, tooManyRequests } from './too-many-requests.ts'
export { parseTrustedProxies } from './trusted-proxies.ts'
