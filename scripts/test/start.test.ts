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
  GATEWAY_PORT: base + 4,
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
    expect(output).toContain(`http://127.0.0.1:${ports.GATEWAY_PORT}`)

    for (const [prefix, service] of [
      ['/api/auth', 'auth-api'],
      ['/api/qr', 'qr-auth'],
      ['/api/bom-triggers', 'bom-triggers'],
      ['/api/usage', 'metering'],
    ]) {
      const path = `${prefix}/health`
      const response = await fetch(`http://127.0.0.1:${ports.GATEWAY_PORT}${path}`, {
        headers: { 'x-request-id': `start-${service}` },
      })
      expect(response.status, path).toBe(200)
      expect(response.headers.get('x-request-id')).toBe(`start-${service}`)
      expect(await response.json()).toMatchObject({ status: 'ok', service })
    }
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
