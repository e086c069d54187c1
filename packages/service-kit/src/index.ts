export { type BootConfig, bootService, defaultDataDir, openServiceDatabase } from './boot.ts'
export { installCallerContext, requireTenantCaller } from './caller-context.ts'
export { ConfigError, commonEnv, loadConfig, loadConfigOrExit } from './config.ts'
export { type ContextSigner, createContextSigner } from './context-signer.ts'
export { codePrefixOf, createService, type ServiceInstance, type ServiceOptions } from './create-service.ts'
export { loadDevSecrets } from './dev-secrets.ts'
export {
  defineErrors,
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
  type InternalContext,
  SERVICE_TOKEN_HEADER,
  signInternalContext,
  signServiceToken,
  verifyInternalContext,
  verifyServiceToken,
} from './internal-auth.ts'
export { type LoggerSettings, loggerOptions, redactPaths } from './logger.ts'
export { type RunOptions, runService } from './run-service.ts'
