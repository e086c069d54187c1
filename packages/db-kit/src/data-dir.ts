import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

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

/** Where the embedded default keeps its state: `GATEHOUSE_DATA_DIR`, else `<repo>/.data`. */
export function dataRoot(env: Record<string, string | undefined> = process.env): string {
  return env.GATEHOUSE_DATA_DIR || join(findRepoRoot(), '.data')
}

/** A service's embedded PGlite folder: `<data root>/<service>`. */
export function serviceDataDir(
  service: string,
  env: Record<string, string | undefined> = process.env,
): string {
  return join(dataRoot(env), service)
}

/** A service's migrations folder in the repository: `<repo>/services/<service>/migrations`. */
export function serviceMigrationsDir(service: string): string {
  return join(findRepoRoot(), 'services', service, 'migrations')
}
