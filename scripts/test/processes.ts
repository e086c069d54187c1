import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestDb, type TestDb } from '@gatehouse/db-kit/testing'
import {
  SERVICES,
  type ServiceName,
  STARTUP_MESSAGE,
  type StartupStage,
  serviceNamed,
  upstreamUrlEnvOf,
} from '@gatehouse/service-kit'
import { sparePorts } from './platform.ts'

const root = join(import.meta.dirname, '..', '..')
const BOOT_TIMEOUT_MS = 60_000
const EXIT_TIMEOUT_MS = 20_000
/** The tail of a service's output kept for failure messages. */
const OUTPUT_CHARS = 20_000

export interface ServiceProcess {
  name: ServiceName
  port: number
  url: string
  /** Its own database on the TEST_DATABASE_URL server, for arranging and for reading what it stored. */
  database: TestDb
  /** Starts it (again) on the same port and database; resolves once it listens. */
  start(): Promise<void>
  /** Sends `signal` and resolves with the exit code once the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
  running(): boolean
  /** What it printed since the fixture started (the last OUTPUT_CHARS). */
  output(): string
}

export interface Processes<N extends ServiceName> {
  /** The gateway's base URL. */
  gateway: string
  services: Record<N, ServiceProcess>
  /** Stops what still runs and drops the databases. */
  close(): Promise<void>
}

/**
 * The named services as separate processes on PostgreSQL (each `node --import tsx services/<name>/src/server.ts`
 * with a fresh database on TEST_DATABASE_URL's server, migrated on boot), the gateway in front. Unlike
 * `pnpm start`, which stops the whole platform when one service exits, each one can be stopped and started again
 * on its own port and database. The environment is the one scripts/start.ts gives a service, with DATABASE_URL.
 */
export async function startProcesses<N extends ServiceName>(
  names: readonly N[],
  env: Record<string, string> = {},
): Promise<Processes<N>> {
  const serverUrl = process.env.TEST_DATABASE_URL
  if (!serverUrl) throw new Error('startProcesses runs services on PostgreSQL: set TEST_DATABASE_URL')
  const ports = sparePorts()
  const dataRoot = mkdtempSync(join(tmpdir(), 'gatehouse-processes-'))
  const secret = () => randomBytes(32).toString('base64url')
  const shared = {
    INTERNAL_SECRET: secret(),
    CRON_SECRET: secret(),
    API_KEY_PEPPER: secret(),
    // Each service's other development secrets (auth-api's signing keys, ...) are generated there.
    GATEHOUSE_DATA_DIR: dataRoot,
    ...Object.fromEntries(
      SERVICES.map(({ name }) => [upstreamUrlEnvOf(name), `http://127.0.0.1:${ports[name]}`]),
    ),
  }
  const databases: TestDb[] = []
  const services = {} as Record<N, ServiceProcess>
  const all = () => Object.values<ServiceProcess>(services)
  try {
    for (const name of names) {
      const database = await createTestDb()
      databases.push(database)
      services[name] = serviceProcess(name, ports[name]!, database, {
        ...shared,
        DATA_DIR: join(dataRoot, name),
        ...env,
      })
    }
    await Promise.all(all().map((service) => service.start()))
  } catch (error) {
    await closeAll(all(), databases, dataRoot)
    throw error
  }
  return {
    gateway: `http://127.0.0.1:${ports['tenant-gateway']}`,
    services,
    close: () => closeAll(all(), databases, dataRoot),
  }
}

async function closeAll(services: ServiceProcess[], databases: TestDb[], dataRoot: string): Promise<void> {
  await Promise.all(services.map((service) => (service.running() ? service.stop() : undefined)))
  await Promise.all(databases.map((database) => database.close()))
  rmSync(dataRoot, { recursive: true, force: true })
}

function serviceProcess(
  name: ServiceName,
  port: number,
  database: TestDb,
  env: Record<string, string>,
): ServiceProcess {
  const entry = serviceNamed(name)
  let child: ChildProcess | undefined
  let output = ''
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_CHARS)
  }

  const start = async () => {
    if (child) throw new Error(`${name} is already running`)
    const started = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'services', name, 'src', 'server.ts')],
      {
        cwd: join(root, 'services', name),
        env: {
          ...process.env,
          // Processes of concurrent test files must not share rate-limit counters: no Redis unless asked.
          REDIS_URL: undefined,
          NODE_ENV: 'development',
          PORT: String(port),
          DATABASE_URL: database.url,
          // On PostgreSQL a service migrates only when told to (service-kit's openServiceDatabase).
          MIGRATE_ON_BOOT: 'true',
          COOKIE_SECURE: 'false',
          LOG_LEVEL: 'warn',
          // As scripts/start.ts: a 2-core machine running every service and the load would shed on loop lag.
          LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '0',
          // Upstreams believe the X-Forwarded-For of the gateway, which connects from 127.0.0.1.
          ...(entry.access === 'gateway' ? {} : { TRUST_PROXY: '127.0.0.1' }),
          ...env,
        },
        // The IPC channel carries its startup progress (service-kit's reportStartup).
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      },
    )
    child = started
    started.stdout?.on('data', append)
    started.stderr?.on('data', append)
    started.once('exit', () => {
      if (child === started) child = undefined
    })
    const listening = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${name} did not listen within ${BOOT_TIMEOUT_MS} ms:\n${output}`)),
        BOOT_TIMEOUT_MS,
      )
      started.on('message', (message: { type?: string } & StartupStage) => {
        if (message?.type === STARTUP_MESSAGE && message.stage === 'listening') {
          clearTimeout(timer)
          resolve()
        }
      })
      started.once('exit', (code, signal) => {
        clearTimeout(timer)
        reject(new Error(`${name} exited (${signal ?? code}) before listening:\n${output}`))
      })
    })
    try {
      await listening
    } catch (error) {
      if (child === started) started.kill('SIGKILL')
      throw error
    }
  }

  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const running = child
    if (!running) throw new Error(`${name} is not running`)
    const exited = once(running, 'exit')
    running.kill(signal)
    const timer = setTimeout(() => running.kill('SIGKILL'), EXIT_TIMEOUT_MS)
    const [code] = await exited
    clearTimeout(timer)
    return code as number | null
  }

  return {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    database,
    start,
    stop,
    running: () => child !== undefined,
    output: () => output,
  }
}
