import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/**
 * The PostgreSQL server the bench's processes make their fresh databases on: BENCH_DATABASE_URL, else
 * TEST_DATABASE_URL; without either, each one uses an in-memory PGlite.
 */
export const benchDatabaseUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || ''

/** A bench process (bench/<file>.ts, run by tsx), once it has sent its first message: what it is listening on. */
export function startChild<T>(
  file: string,
  options: { args?: string[]; execArgv?: string[]; env?: Record<string, string> } = {},
): Promise<{ child: ChildProcess; info: T }> {
  const child = fork(fileURLToPath(new URL(file, import.meta.url)), options.args ?? [], {
    execArgv: ['--import', 'tsx', ...(options.execArgv ?? [])],
    env: { ...process.env, TEST_DATABASE_URL: benchDatabaseUrl, ...options.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  return new Promise((resolve, reject) => {
    child.once('message', (info) => resolve({ child, info: info as T }))
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)))
  })
}
