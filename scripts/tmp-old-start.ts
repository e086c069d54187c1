/**
 * `pnpm start`: the whole platform on the embedded default. Five processes, each with its own PGlite database
 * under .data/<service> (migrations applied on start), secrets generated once into .data/secrets.json.
 * Ctrl-C stops them all.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { dataRoot as dataRootOf } from '@gatehouse/db-kit'
import { envStemOf, loadDevSecrets, SERVICES, upstreamUrlEnvOf } from '@gatehouse/service-kit'

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

function startService(service: (typeof services)[number]): ChildProcess {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'services', service.name, 'src', 'server.ts')],
    {
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
        ...upstreamUrls,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  const label = `[${service.name}]`.padEnd(17)
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

async function waitHealthy(port: number, prefix: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (stopping) return
    try {
      const response = await fetch(`http://127.0.0.1:${port}${prefix}/health`)
      if (response.ok) return
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 250))
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
for (const service of upstreams) startService(service)
try {
  await Promise.all(upstreams.map((s) => waitHealthy(s.port, s.prefix)))
  startService(gateway)
  await waitHealthy(gateway.port, '')
} catch (error) {
  process.stderr.write(`start failed: ${(error as Error).message}\n`)
  await stopAll(1)
}
if (!stopping) {
  const gatewayPort = gateway.port
  const lines = [
    '',
    'Gatehouse is running (embedded PGlite databases under .data/):',
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
