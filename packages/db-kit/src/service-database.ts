import { serviceDataDir } from './data-dir.ts'
import type { DbConfig } from './handle.ts'

/** `auth-api` → `AUTH_API_DATABASE_URL` */
export function serviceDatabaseEnvVar(service: string): string {
  return `${service.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_DATABASE_URL`
}

/**
 * `<SERVICE>_DATABASE_URL`, else `DATABASE_URL`, else the embedded PGlite at `<repoRoot>/.data/<service>`
 * (`GATEHOUSE_DATA_DIR` replaces `<repoRoot>/.data`).
 */
export function resolveServiceDatabase(service: string, env: NodeJS.ProcessEnv): DbConfig {
  const url = env[serviceDatabaseEnvVar(service)] || env.DATABASE_URL
  if (url) return { url }
  return { dataDir: serviceDataDir(service, env) }
}
