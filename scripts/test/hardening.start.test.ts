import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { SERVICES } from '@gatehouse/service-kit'
import { describe, expect, it } from 'vitest'
import { call, startPlatform } from './platform.ts'

const run = promisify(execFile)
const root = join(import.meta.dirname, '..', '..')
const PASSWORD = 'Correct-Horse-9-Battery'
// These stories are about refusals, limits and addresses: no load shedding on a CI machine shared with other tests.
const CALM = { LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '0' }

/** JSON over HTTP from a chosen local address (127.0.0.2, 127.0.0.3, ...): a client on another machine. */
function callFrom(
  localAddress: string,
  url: string,
  method: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: any }> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body)
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method,
        localAddress,
        headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...options.headers },
      },
      (res) => {
        let text = ''
        res.on('data', (chunk) => {
          text += chunk
        })
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text ? JSON.parse(text) : undefined,
          }),
        )
      },
    )
    req.on('error', reject)
    req.end(payload)
  })
}

/** An operator command of a service against the platform's data folder, as `pnpm --filter <service> <script>` runs it. */
async function operator(dataDir: string, script: string, args: string[] = []) {
  const result = await run(process.execPath, ['--import', 'tsx', join(root, script), ...args], {
    cwd: root,
    env: { PATH: process.env.PATH, GATEHOUSE_DATA_DIR: dataDir },
  }).then(
    (done) => ({ code: 0, stdout: done.stdout, stderr: done.stderr }),
    (failed: { code: number; stdout: string; stderr: string }) => failed,
  )
  return result
}

describe('operator commands on the embedded databases (issue 13, defect 12)', () => {
  it('refuse while pnpm start holds them, never reporting a write; after Ctrl-C a demo user is really stored', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-operators-'))
    try {
      const platform = await startPlatform(CALM, { dataDir })
      // Progress per service, not silence.
      expect(platform.output()).toMatch(/\[auth-api\]\s+migrated 0000_init/)
      expect(platform.output()).toMatch(/\[tenant-gateway\]\s+ready on :\d+/)
      for (const [script, args] of [
        ['services/auth-api/scripts/seed-demo.ts', []],
        ['services/auth-api/scripts/rotate-keys.ts', []],
        ['services/tenant-gateway/scripts/backfill-legacy-keys.ts', ['--dry-run']],
        ['services/tenant-gateway/scripts/pepper-status.ts', []],
        ['scripts/migrate.ts', ['status', '--filter', 'auth-api']],
      ] as const) {
        const result = await operator(dataDir, script, [...args])
        expect([script, result.code]).toEqual([script, 1])
        expect(result.stderr + result.stdout).toMatch(/in use by process \d+ .*stop it first/)
        expect(result.stdout).not.toContain('password:')
        expect(result.stderr).not.toMatch(/^\s+at /m)
      }
      expect(await platform.stop()).toBe(0)

      const seeded = await operator(dataDir, 'services/auth-api/scripts/seed-demo.ts')
      expect(seeded.code).toBe(0)
      expect(seeded.stdout).toContain('created demo@nexora.ai')
      expect(seeded.stdout + seeded.stderr).not.toContain('locked')
      const password = /password: (\S+)/.exec(seeded.stdout)?.[1]
      expect(password).toBeDefined()

      // On the existing data folder: no migrations, and the demo user logs in through the gateway.
      const again = await startPlatform(CALM, { dataDir })
      try {
        expect(again.output()).not.toContain('migrated 0000_init')
        const login = await call(again.gateway, 'POST', '/api/auth/login', {
          body: { email: 'demo@nexora.ai', password },
        })
        expect(login.status).toBe(200)
      } finally {
        await again.stop()
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  }, 600_000)
})

describe('behind the gateway (issue 13, defects 6 and 16; JWKS papercut)', () => {
  it('gives each client its own address and login limit, ends revoked sessions at once, and publishes the JWKS', async () => {
    const redis = process.env.REDIS_URL
    const platform = await startPlatform({
      ...CALM,
      RATE_LIMIT_LOGIN_PER_IP: '3',
      // With Redis the published revocation must do it within a second; without, auth-api is asked every time.
      ...(redis ? { REDIS_URL: redis } : { KEY_CACHE_TTL_MS: '0' }),
    })
    const { gateway } = platform
    try {
      const keys = await call(gateway, 'GET', '/.well-known/jwks.json')
      expect(keys.status, JSON.stringify(keys.body)).toBe(200)
      expect(keys.body.keys.length).toBeGreaterThan(0)
      const discovery = await call(gateway, 'GET', '/.well-known/openid-configuration')
      expect(discovery.body).toMatchObject({
        issuer: 'gatehouse-auth-api',
        jwks_uri: expect.stringContaining('/.well-known/jwks.json'),
      })

      // Two people on two machines, behind the same gateway.
      const register = (from: string, email: string) =>
        callFrom(from, `${gateway}/api/auth/register`, 'POST', {
          body: { email, name: 'Behind', password: PASSWORD, confirmPassword: PASSWORD },
        })
      const ann = await register('127.0.0.2', 'ann@example.com')
      const bob = await register('127.0.0.3', 'bob@example.com')
      expect([ann.status, bob.status]).toEqual([201, 201])
      const sessionsOf = async (accessToken: string) =>
        (
          await call(gateway, 'GET', '/api/auth/sessions', {
            headers: { authorization: `Bearer ${accessToken}` },
          })
        ).body.sessions
      expect((await sessionsOf(ann.body.accessToken)).map((s: { ip: string }) => s.ip)).toEqual(['127.0.0.2'])
      expect((await sessionsOf(bob.body.accessToken)).map((s: { ip: string }) => s.ip)).toEqual(['127.0.0.3'])

      const login = (from: string) =>
        callFrom(from, `${gateway}/api/auth/login`, 'POST', {
          body: { email: 'ann@example.com', password: 'wrong-guess' },
        })
      const annTries = [
        await login('127.0.0.2'),
        await login('127.0.0.2'),
        await login('127.0.0.2'),
        await login('127.0.0.2'),
      ]
      expect(annTries.map((r) => r.status)).toEqual([401, 401, 401, 429])
      expect(annTries[3]!.headers['ratelimit-policy']).toBe('"login-ip";q=3;w=60')
      // Bob's machine has its own budget.
      expect((await login('127.0.0.3')).status).toBe(401)

      // Only the gateway is believed: a client reaching auth-api directly cannot claim another address.
      const direct = await callFrom(
        '127.0.0.4',
        `http://127.0.0.1:${platform.ports['auth-api']}/api/auth/login`,
        'POST',
        {
          body: { email: 'bob@example.com', password: PASSWORD },
          headers: { 'x-forwarded-for': '203.0.113.9' },
        },
      )
      expect(direct.status).toBe(200)
      expect((await sessionsOf(direct.body.accessToken)).map((s: { ip: string }) => s.ip)).toContain(
        '127.0.0.4',
      )

      // Logout-all reaches the gateway: the same access token stops listing tenants and creating keys.
      const auth = { authorization: `Bearer ${ann.body.accessToken}` }
      const tenant = await call(gateway, 'POST', '/api/tenants', { body: { name: 'Acme' }, headers: auth })
      expect(tenant.status).toBe(201)
      expect((await call(gateway, 'GET', '/api/tenants', { headers: auth })).status).toBe(200)
      const loggedOut = await call(gateway, 'POST', '/api/auth/logout-all', { headers: auth })
      expect(loggedOut.status).toBe(200)
      const revokedAt = performance.now()
      let listed = await call(gateway, 'GET', '/api/tenants', { headers: auth })
      while (listed.status === 200 && performance.now() - revokedAt < 1_000) {
        listed = await call(gateway, 'GET', '/api/tenants', { headers: auth })
      }
      expect(listed.status).toBe(401)
      const key = await call(gateway, 'POST', `/api/tenants/${tenant.body.id}/keys`, {
        body: { name: 'late' },
        headers: auth,
      })
      expect(key.status).toBe(401)
    } finally {
      await platform.stop()
    }
  }, 400_000)
})

describe('production settings (issue 13, defect 13)', () => {
  it('every service refuses to start in production without INTERNAL_SECRET and DATABASE_URL', async () => {
    for (const { name } of SERVICES) {
      const result = await run(
        process.execPath,
        ['--import', 'tsx', join(root, 'services', name, 'src', 'server.ts')],
        {
          cwd: join(root, 'services', name),
          env: { PATH: process.env.PATH, NODE_ENV: 'production' },
        },
      ).then(
        () => ({ code: 0, stderr: '' }),
        (failed: { code: number; stderr: string }) => failed,
      )
      expect([name, result.code]).toEqual([name, 1])
      expect(result.stderr).toContain(`${name}: config error: INTERNAL_SECRET: is required in production`)
      expect(result.stderr).toContain(`${name}: config error: DATABASE_URL: is required in production`)
      expect(result.stderr).not.toMatch(/^\s+at /m)
    }
  }, 120_000)
})
