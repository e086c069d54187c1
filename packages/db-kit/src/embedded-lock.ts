import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs'
import { basename, dirname, relative } from 'node:path'

/**
 * PGlite has no locking of its own: two processes on one data folder each write their own copy, and what one of
 * them wrote is silently lost (an operator's `seed:demo` while `pnpm start` runs). So whoever opens an embedded
 * database holds `<data folder>.lock` (beside the folder, never in it) until it closes it, and anyone else is
 * refused with who holds it.
 */
export class DatabaseInUseError extends Error {
  override name = 'DatabaseInUseError'
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    super(
      `the embedded database ${dataDir} is in use by process ${holder.pid} (${holder.command}, since ${holder.since}); ` +
        'stop it first (Ctrl-C in the terminal running `pnpm start`), or set DATABASE_URL to a PostgreSQL database',
    )
  }
}

export interface LockHolder {
  pid: number
  command: string
  since: string
}

const held = new Set<string>()
let exitHookInstalled = false

function lockFileOf(dataDir: string): string {
  return `${dataDir}.lock`
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(readFileSync(file, 'utf8')) as LockHolder
    return Number.isInteger(holder.pid) ? holder : undefined
  } catch {
    return undefined
  }
}

function describeCommand(): string {
  const script = process.argv[1]
  if (!script) return 'node'
  const path = relative(process.cwd(), script)
  return path.startsWith('..') ? `${basename(dirname(script))}/${basename(script)}` : path
}

/** Takes the lock of an embedded database folder, or throws DatabaseInUseError; resolves with its release. */
export function lockEmbeddedDatabase(dataDir: string): () => void {
  const file = lockFileOf(dataDir)
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600)
      const holder: LockHolder = {
        pid: process.pid,
        command: describeCommand(),
        since: new Date().toISOString(),
      }
      writeSync(fd, JSON.stringify(holder))
      closeSync(fd)
      held.add(file)
      installExitHook()
      return () => release(file)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const holder = readHolder(file)
      // A holder that died without closing (SIGKILL, a crash) leaves its file behind: it holds nothing. Our own
      // pid in a file we do not hold is such a leftover too (a restarted container reuses its pids).
      const ours = holder?.pid === process.pid
      if (holder && (ours ? held.has(file) : isAlive(holder.pid)))
        throw new DatabaseInUseError(dataDir, holder)
      try {
        unlinkSync(file)
      } catch {}
    }
  }
  throw new DatabaseInUseError(dataDir, readHolder(file) ?? { pid: 0, command: 'unknown', since: 'unknown' })
}

function release(file: string): void {
  if (!held.delete(file)) return
  try {
    if (readHolder(file)?.pid === process.pid) unlinkSync(file)
  } catch {}
}

/** A process that exits without closing its database (process.exit after an error) still lets go of it. */
function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const file of [...held]) release(file)
  })
}
