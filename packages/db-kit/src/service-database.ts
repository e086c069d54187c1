import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { DbConfig } from './db.ts'

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
  return { dataDir: join(env.GATEHOUSE_DATA_DIR || join(findRepoRoot(), '.data'), service) }
}

/** The folder holding pnpm-workspace.yaml, found from this module so any cwd works. */
export function findRepoRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`no pnpm-workspace.yaml above ${from}`)
    dir = parent
  }
  return dir
}
