// What a process supervisor (`pnpm start`, the cross-process tests) needs, without loading the service framework.
export { loadDevSecrets } from './dev-secrets.ts'
export { envStemOf, SERVICES, type ServiceEntry, type ServiceName, upstreamUrlEnvOf } from './registry.ts'
export { STARTUP_MESSAGE, type StartupStage } from './startup-progress.ts'
