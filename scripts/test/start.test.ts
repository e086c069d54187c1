import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')
const base = 21_000 + Math.floor(Math.random() * 2_000) * 5
const ports = {
  AUTH_API_PORT: base,
  QR_AUTH_PORT: base + 1,
  BOM_TRIGGERS_PORT: base + 2,
  METERING_PORT: base + 3,
  TENANT_GATEWAY_PORT: base + 4,
}
const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-start-'))

afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

describe('pnpm start (scripts/start.ts)', () => {
  it('brings up all five services behind the gateway and stops them cleanly on Ctrl-C', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'start.ts')], {
      cwd: root,
      env: {
        ...process.env,
        ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
        GATEHOUSE_DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
      },
    })
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += chunk
    })
    child.stderr.on('data', (chunk) => {
      output += chunk
    })
    const exited = once(child, 'exit')
    const deadline = Date.now() + 90_000
    while (!output.includes('Press Ctrl-C to stop.') && Date.now() < deadline && child.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    expect(output).toContain(`http://127.0.0.1:${ports.TENANT_GATEWAY_PORT}`)

    for (const [prefix, service] of [
      ['/api/auth', 'auth-api'],
      ['/api/qr', 'qr-auth'],
      ['/api/bom-triggers', 'bom-triggers'],
      ['/api/usage', 'metering'],
    ]) {
      const path = `${prefix}/health`
      const response = await fetch(`http://127.0.0.1:${ports.TENANT_GATEWAY_PORT}${path}`, {
        headers: { 'x-request-id': `start-${service}` },
      })
      expect(response.status, path).toBe(200)
      expect(response.headers.get('x-request-id')).toBe(`start-${service}`)
      expect(await response.json()).toMatchObject({ status: 'ok', service })
    }
    // One user story across three processes: auth-api mints a JWT, the gateway verifies it against auth-api's JWKS,
    // issues an API key, and forwards a keyed request with a signed context that the upstream accepts.
    const gateway = `http://127.0.0.1:${ports.TENANT_GATEWAY_PORT}`
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${gateway}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      })
    const password = 'Correct-Horse-9-Battery'
    const registered = await post('/api/auth/register', {
      email: 'ann@example.com',
      name: 'Ann',
      password,
      confirmPassword: password,
    })
    expect(registered.status).toBe(201)
    const { accessToken } = (await registered.json()) as { accessToken: string }
    const tenant = await post('/api/tenants', { name: 'Acme' }, { authorization: `Bearer ${accessToken}` })
    expect(tenant.status).toBe(201)
    const { id: tenantId } = (await tenant.json()) as { id: string }
    const created = await post(
      `/api/tenants/${tenantId}/keys`,
      { name: 'ci', scopes: ['usage:read'] },
      { authorization: `Bearer ${accessToken}` },
    )
    expect(created.status).toBe(201)
    const { key } = (await created.json()) as { key: string }
    const verified = await post('/api/keys/verify', { key })
    expect(await verified.json()).toMatchObject({ valid: true, tenantId })
    // bom-triggers has no task routes yet: its 404 (not a 401) shows it accepted the gateway's signed context.
    const keyed = await fetch(`${gateway}/api/tasks`, {
      headers: { 'x-api-key': key, 'x-gatehouse-context': 'forged' },
    })
    expect(keyed.status).toBe(404)
    expect(((await keyed.json()) as { code: string }).code).toBe('BOM_TRIGGERS_NOT_FOUND')
    const anonymous = await fetch(`${gateway}/api/tasks`)
    expect(anonymous.status).toBe(401)

    const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8'))
    expect(Object.keys(secrets)).toEqual(
      expect.arrayContaining(['INTERNAL_SECRET', 'CRON_SECRET', 'API_KEY_PEPPER']),
    )

    child.kill('SIGINT')
    const [code] = await exited
    expect(code).toBe(0)
    await expect(fetch(`http://127.0.0.1:${ports.AUTH_API_PORT}/health`)).rejects.toThrow()
  }, 120_000)
})
