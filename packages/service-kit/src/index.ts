export {
  ACCESS_TOKEN_TYPE,
  type AccessTokenClaims,
  type AccessTokenPolicy,
  AccessTokenRejected,
  type AccessTokenVerifier,
  createAccessTokenVerifier,
  type VerificationKey,
} from './access-token-verifier.ts'
export { type Batcher, createBatcher } from './batcher.ts'
export {
  type BootConfig,
  bootService,
  type DatabaseSettings,
  exitOnOpenFailure,
  openServiceDatabase,
} from './boot.ts'
export type { Caller, TenantCaller } from './caller.ts'
export { callerContext, requireTenantCaller } from './caller-context.ts'
export {
  addSeconds,
  addUtcMonths,
  type Clock,
  createTestClock,
  systemClock,
  type TestClock,
  utcMonthStart,
} from './clock.ts'
export {
  ConfigError,
  commonEnv,
  configOrExit,
  deploymentProblems,
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
  type CatalogueEntry,
  type ErrorCatalogue,
  errorCatalogueOf,
  GENERIC_ERRORS,
  hintForStatus,
} from './error-catalogue.ts'
export type { ErrorRow } from './error-tables.ts'
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
export { inputProblems, MAX_INPUT_DEPTH } from './input-checks.ts'
export {
  INTERNAL_CONTEXT_HEADER,
  SERVICE_TOKEN_HEADER,
  signInternalContext,
  signServiceToken,
  verifyInternalContext,
  verifyServiceToken,
} from './internal-auth.ts'
export { createInternalClient, type InternalClient, type InternalResponse } from './internal-client.ts'
export { type LoadGauge, type LoadState, loadShedding } from './load-shedding.ts'
export { isDatabaseError, type LoggableError, loggableError } from './loggable-error.ts'
export { type LoggerSettings, loggerOptions, redactPaths } from './logger.ts'
export { installMetrics, type MetricsOptions, type ServiceMetrics, UNMATCHED_ROUTE } from './metrics.ts'
export {
  addProblemResponses,
  codesByStatus,
  codesOfResponse,
  operationsOf,
  PROBLEM_MEDIA_TYPE,
  PROBLEM_SCHEMA,
  problemResponse,
  SECURITY,
  SECURITY_SCHEMES,
} from './openapi.ts'
export { runOperatorCommand } from './operator-command.ts'
export {
  DEFAULT_PLATFORM_SETTINGS,
  type LoadSheddingSettings,
  type PlatformConfig,
  type PlatformSettings,
  platformEnv,
  platformSettingsOf,
} from './platform-settings.ts'
export { closeRedis, connectRedis, redisReady } from './redis.ts'
export {
  type Access,
  DEFAULT_MAX_BODY_BYTES,
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
export { createServiceApp, type ServiceAppConfig, type ServiceDeps } from './service-app.ts'
export type { PlatformOptions } from './service-platform.ts'
export { publishRevokedSessions, revokedSessionsOf, SESSION_REVOKED_CHANNEL } from './session-revocations.ts'
export { STARTUP_MESSAGE, type StartupStage } from './startup-progress.ts'
export { type RateLimitState, rateLimitHeaders, tooManyRequests } from './too-many-requests.ts'
export { parseTrustedProxies } from './trusted-proxies.ts'
