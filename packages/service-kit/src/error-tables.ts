import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** One row of a `defineErrors` table: status, title and, optionally, what a client should do. */
export type ErrorRow = readonly [status: number, title: string, hint?: string]

export interface ErrorTable {
  rows: Readonly<Record<string, ErrorRow>>
  /** The package folder of the module that defined it (the folder holding its package.json). */
  packageDir: string | undefined
}

const tables: ErrorTable[] = []

/**
 * The package folder of the code that called `depth` frames above this function: the nearest folder with a
 * package.json. How a service's error tables find their service without being passed around: `defineErrors` in
 * services/auth-api/src/errors.ts and `createService` in services/auth-api/src/app.ts name the same folder.
 */
export function callerPackageDir(depth: number): string | undefined {
  const original = Error.prepareStackTrace
  const originalLimit = Error.stackTraceLimit
  let frames: NodeJS.CallSite[] = []
  try {
    Error.stackTraceLimit = depth + 2
    Error.prepareStackTrace = (_error, callSites) => callSites
    const holder: { stack?: NodeJS.CallSite[] } = {}
    Error.captureStackTrace(holder, callerPackageDir)
    frames = holder.stack ?? []
  } finally {
    Error.prepareStackTrace = original
    Error.stackTraceLimit = originalLimit
  }
  const file = frames[depth]?.getFileName()
  if (!file) return undefined
  return packageDirOf(file.startsWith('file:') ? fileURLToPath(file) : file)
}

const packageDirs = new Map<string, string | undefined>()

function packageDirOf(file: string): string | undefined {
  const start = dirname(file)
  if (packageDirs.has(start)) return packageDirs.get(start)
  let dir = start
  let found: string | undefined
  while (true) {
    if (existsSync(join(dir, 'package.json'))) {
      found = dir
      break
    }
    const parent = dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  packageDirs.set(start, found)
  return found
}

export function registerErrorTable(table: ErrorTable): void {
  tables.push(table)
}

/**
 * The tables defined in one package (a service's errors.ts, and any other `defineErrors` of the same service).
 * Without a package folder to go by, every table of the process (one service per process outside tests).
 */
export function errorTablesOf(packageDir: string | undefined): ErrorTable[] {
  if (!packageDir) return [...tables]
  return tables.filter((table) => table.packageDir === packageDir)
}
