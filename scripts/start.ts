/**
 * `pnpm start`: the whole platform on the embedded default. Five processes, each with its own PGlite database
 * under .data/<service> (migrations applied on start), secrets generated once into .data/secrets.json.
 * Ctrl-C stops them all.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { dataRoot as dataRootOf, freshClusterImage } from '@gatehouse/db-kit'
import {
  envStemOf,
  loadDevSecrets,
  SERVICES,
  STARTUP_MESSAGE,
  type StartupStage,
  upstreamUrlEnvOf,
} from '@gatehouse/service-kit/launch'
import { bundleServices } from './bundle-services.ts'

const root = join(import.meta.dirname, '..')
const dataRoot = dataRootOf(process.env)

// Every service of the registry; `<SERVICE>_PORT` (e.g. TENANT_GATEWAY_PORT) moves one off its default port.
const services = SERVICES.map((service) => ({
  name: service.name,
  port: Number(process.env[`${envStemOf(service.name)}_PORT`] ?? service.port),
  // Where its liveness answers: under its public prefix for an upstream, at the root for the gateway.
  prefix: service.access === 'gateway' ? '' : (service.publicPrefixes[0] ?? ''),
  isGateway: service.access === 'gateway',
}))

const secrets = loadDevSecrets(join(dataRoot, 'secrets.json'), [
  'INTERNAL_SECRET',
  'CRON_SECRET',
  'API_KEY_PEPPER',
])
const upstreamUrls = Object.fromEntries(
  services.map((s) => [upstreamUrlEnvOf(s.name), `http://127.0.0.1:${s.port}`]),
)
const children = new Map<string, ChildProcess>()
let stopping = false

function startService(service: (typeof services)[number], bundle: string): ChildProcess {
  const child = spawn(process.execPath, ['--enable-source-maps', bundle], {
    cwd: join(root, 'services', service.name),
    env: {
      ...secrets,
      ...process.env,
      // The embedded default: each service on its own PGlite, whatever the shell exports.
      DATABASE_URL: undefined,
      NODE_ENV: process.env.NODE_ENV ?? 'development',
      PORT: String(service.port),
      DATA_DIR: join(dataRoot, service.name),
      COOKIE_SECURE: process.env.COOKIE_SECURE ?? 'false',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      // Embedded PGlite runs every query on the service's own event loop, so loop lag there is query time, not
      // overload: shedding on it would refuse a developer's requests. Real deployments keep the threshold.
      LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: process.env.LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS ?? '0',
      // Upstreams are reached only through the gateway, which connects from 127.0.0.1: its X-Forwarded-For is
      // the only one they believe (the client's address for per-IP limits and session lists).
      ...(service.isGateway ? {} : { TRUST_PROXY: '127.0.0.1' }),
      ...upstreamUrls,
    },
    // The IPC channel carries the service's startup progress (service-kit's reportStartup).
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  const label = `[${service.name}]`.padEnd(17)
  const started = performance.now()
  child.on('message', (message: { type?: string } & StartupStage) => {
    if (message?.type !== STARTUP_MESSAGE) return
    const line = progressLine(message, ((performance.now() - started) / 1000).toFixed(1))
    if (line) process.stdout.write(`${label}${line}\n`)
  })
  const forward = (stream: NodeJS.WritableStream) => (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line) stream.write(`${label}${line}\n`)
  }
  child.stdout?.on('data', forward(process.stdout))
  child.stderr?.on('data', forward(process.stderr))
  child.on('exit', (code, signal) => {
    children.delete(service.name)
    if (!stopping) {
      process.stderr.write(`${label}exited (${signal ?? code}); stopping the platform\n`)
      void stopAll(1)
    } else if (children.size === 0) {
      process.exit(process.exitCode ?? 0)
    }
  })
  children.set(service.name, child)
  return child
}

function progressLine(progress: StartupStage, seconds: string): string | undefined {
  switch (progress.stage) {
    case 'database':
      return progress.embedded ? 'opening its embedded database' : 'connecting to PostgreSQL'
    case 'migration':
      return `migrated ${progress.applied}`
    case 'migrated':
      return progress.applied > 0 ? `${progress.applied} migrations applied in ${progress.ms} ms` : undefined
    case 'listening':
      return `ready on :${progress.port} (${seconds} s)`
  }
}

function isEmptyFolder(path: string): boolean {
  try {
    return readdirSync(path).length === 0
  } catch {
    return true
  }
}

async function waitHealthy(port: number, prefix: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (stopping) return
    try {
      const response = await fetch(`http://127.0.0.1:${port}${prefix}/health`)
      if (response.ok) return
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`no answer on :${port}${prefix}/health after ${timeoutMs} ms`)
}

async function stopAll(code: number): Promise<void> {
  if (stopping) return
  stopping = true
  process.exitCode = code
  for (const child of children.values()) child.kill('SIGTERM')
  setTimeout(() => process.exit(code), 15_000).unref()
  if (children.size === 0) process.exit(code)
}

process.on('SIGINT', () => void stopAll(0))
process.on('SIGTERM', () => void stopAll(0))

const upstreams = services.filter((s) => !s.isGateway)
const gateway = services.find((s) => s.isGateway)!
const startedAt = performance.now()
process.stdout.write(`starting ${services.length} services (data under ${dataRoot})\n`)
const [bundles] = await Promise.all([
  bundleServices(
    root,
    services.map((s) => s.name),
  ),
  // A new data folder starts from PGlite's fresh-cluster image: made here once, not by five processes at once.
  services.some((s) => isEmptyFolder(join(dataRoot, s.name))) ? freshClusterImage() : undefined,
])
// All at once: the gateway needs no upstream to start (it reaches them per request).
for (const service of services) startService(service, bundles.get(service.name)!)
try {
  await Promise.all(services.map((s) => waitHealthy(s.port, s.prefix)))
} catch (error) {
  process.stderr.write(`start failed: ${(error as Error).message}\n`)
  await stopAll(1)
}
if (!stopping) {
  const gatewayPort = gateway.port
  const lines = [
    '',
    `Gatehouse is running after ${((performance.now() - startedAt) / 1000).toFixed(1)} s (embedded PGlite databases under .data/):`,
    `  gateway         http://127.0.0.1:${gatewayPort}   <- the only public entry`,
    ...upstreams.map(
      (s) =>
        `  ${s.name.padEnd(15)} http://127.0.0.1:${s.port}   via http://127.0.0.1:${gatewayPort}${s.prefix}/health`,
    ),
    '  secrets         .data/secrets.json (generated once, development only)',
    'Press Ctrl-C to stop.',
    '',
  ]
  process.stdout.write(lines.join('\n'))
}
