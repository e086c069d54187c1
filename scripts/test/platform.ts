import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { envStemOf, SERVICES } from '@gatehouse/service-kit'

const root = join(import.meta.dirname, '..', '..')

export interface Platform {
  /** The gateway's base URL, e.g. http://127.0.0.1:21004 */
  gateway: string
  /** Each service's own port, by name. */
  ports: Record<string, number>
  dataDir: string
  /** How long `pnpm start` took until it printed that everything is up. */
  startMs: number
  /** Everything the services printed so far. */
  output(): string
  /** Ctrl-C: resolves with the exit code of `pnpm start`. */
  stop(): Promise<number | null>
  child: ChildProcess
}

/**
 * One port per service of the registry, by name, in a random block below Linux's ephemeral range (32768+), where
 * outgoing connections could already hold a port.
 */
export function sparePorts(): Record<string, number> {
  const base = 21_000 + Math.floor(Math.random() * 2_000) * SERVICES.length
  return Object.fromEntries(SERVICES.map((service, index) => [service.name, base + index]))
}

/**
 * `pnpm start` (scripts/start.ts) on spare ports and a fresh data folder: every service as its own process on
 * the embedded default, the gateway in front. Cross-process user stories run against `platform.gateway`.
 */
export async function startPlatform(
  env: Record<string, string> = {},
  /** An existing data folder to start on (kept on stop); by default a fresh one, removed on stop. */
  options: { dataDir?: string } = {},
): Promise<Platform> {
  const ports = sparePorts()
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'gatehouse-start-'))
  const removeData = () => {
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true })
  }
  const started = performance.now()
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'start.ts')], {
    cwd: root,
    env: {
      ...process.env,
      // Platforms of concurrent test files must not share rate-limit counters (they all call from 127.0.0.1):
      // Redis only when a test asks for it.
      REDIS_URL: undefined,
      ...Object.fromEntries(SERVICES.map(({ name }) => [`${envStemOf(name)}_PORT`, String(ports[name])])),
      GATEHOUSE_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      ...env,
    },
  })
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  const exited = once(child, 'exit')
  const deadline = Date.now() + 180_000
  while (!output.includes('Press Ctrl-C to stop.') && Date.now() < deadline && child.exitCode === null) {
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  if (!output.includes('Press Ctrl-C to stop.')) {
    child.kill('SIGKILL')
    removeData()
    throw new Error(`pnpm start did not come up:\n${output}`)
  }
  const startMs = Math.round(performance.now() - started)
  return {
    gateway: `http://127.0.0.1:${ports['tenant-gateway']}`,
    ports,
    dataDir,
    startMs,
    output: () => output,
    child,
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT')
      const [code] = await exited
      removeData()
      return code as number | null
    },
  }
}

/** JSON over HTTP with the status and parsed body, for stories through the gateway. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  })
  const text = await response.text()
  let body: unknown = text
  try {
    body = text ? JSON.parse(text) : undefined
  } catch {}
  return { status: response.status, headers: response.headers, body }
}

/** A registered user, a tenant they own and an API key of it: the start of most tenant stories. */
export async function userWithTenantKey(
  gateway: string,
  options: { email?: string; scopes?: string[] } = {},
): Promise<{ accessToken: string; refreshToken: string; userId: string; tenantId: string; key: string }> {
  const password = 'Correct-Horse-9-Battery'
  const email = options.email ?? `user-${Math.random().toString(36).slice(2)}@example.com`
  const registered = await call(gateway, 'POST', '/api/auth/register', {
    body: { email, name: 'Story User', password, confirmPassword: password },
  })
  if (registered.status !== 201)
    throw new Error(`register: ${registered.status} ${JSON.stringify(registered.body)}`)
  const { accessToken, refreshToken, user } = registered.body
  const auth = { authorization: `Bearer ${accessToken}` }
  const tenant = await call(gateway, 'POST', '/api/tenants', { body: { name: 'Acme' }, headers: auth })
  if (tenant.status !== 201) throw new Error(`tenant: ${tenant.status} ${JSON.stringify(tenant.body)}`)
  const created = await call(gateway, 'POST', `/api/tenants/${tenant.body.id}/keys`, {
    body: { name: 'story', scopes: options.scopes ?? [] },
    headers: auth,
  })
  if (created.status !== 201) throw new Error(`key: ${created.status} ${JSON.stringify(created.body)}`)
  return { accessToken, refreshToken, userId: user.id, tenantId: tenant.body.id, key: created.body.key }
}
