import type { ChildProcess } from 'node:child_process'
import { createDb, type DbHandle, migrateUp } from '@gatehouse/db-kit'
import { createScratchDatabase } from '@gatehouse/db-kit/testing'
import { freePort } from '../testing/free-port.ts'
import { spawnServer, stopProcess, waitHealthy } from './service-process.ts'

/** A service's real server (its src/server.ts, own process) on a fresh, migrated database of its own. */
export interface BenchServer {
  /** http://127.0.0.1:<port> */
  base: string
  /** The bench's own handle on the server's database: fixtures written directly, baselines. */
  db: DbHandle
  databaseName: string
  databaseUrl: string
  process: ChildProcess
  /** Stops the server (SIGTERM, waited for), closes `db` and drops the database. */
  close(): Promise<void>
}

export async function startBenchServer(options: {
  /** As in the registry: the migrations table's service. */
  service: string
  serviceDir: string
  /** The PostgreSQL server the database is made on (benchServerUrl). */
  serverUrl: string
  /** The server's variables, over NODE_ENV=production, PORT, DATABASE_URL and LOG_LEVEL=warn. */
  env: Record<string, string>
  /** Pool size of `db` (default 1). */
  dbMax?: number
  /** Node flags of the server process (cpuProfileArgs). */
  execArgv?: string[]
  /** How long /health may take to answer (default 30 s: tsx compiles the service on start). */
  healthTimeoutMs?: number
  /** Prefix of the database's name. */
  databasePrefix?: string
}): Promise<BenchServer> {
  const scratch = await createScratchDatabase(options.serverUrl, options.databasePrefix ?? 'gh_bench')
  let db: DbHandle | undefined
  let child: ChildProcess | undefined
  const close = async () => {
    await stopProcess(child)
    await db?.close()
    await scratch.drop()
  }
  try {
    db = await createDb({ url: scratch.url, max: options.dbMax ?? 1 })
    await migrateUp(db, { migrationsDir: `${options.serviceDir}/migrations`, service: options.service })
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    child = spawnServer(
      options.serviceDir,
      {
        NODE_ENV: 'production',
        PORT: String(port),
        DATABASE_URL: scratch.url,
        LOG_LEVEL: 'warn',
        ...options.env,
      },
      options.execArgv ? { execArgv: options.execArgv } : {},
    )
    await waitHealthy(base, options.healthTimeoutMs)
    return {
      base,
      db,
      databaseName: scratch.name,
      databaseUrl: scratch.url,
      process: child,
      close,
    }
  } catch (error) {
    await close()
    throw error
  }
}
