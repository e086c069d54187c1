import { spawn } from 'node:child_process'
import { hmacSha256Hex, pepperVersionOf } from '@gatehouse/crypto'
import type { TestDb } from '@gatehouse/db-kit/testing'
import { ConfigError } from '@gatehouse/service-kit'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadTenantGatewayConfig } from '../src/config.ts'
import { apiKeys } from '../src/db/schema/index.ts'
import { pepperStatus } from '../src/keys/pepper-status.ts'
import { runPepperStatusCommand } from '../src/operators/pepper-status-command.ts'
import { createKey, createTenant, userOf } from './factories.ts'
import {
  type AuthStub,
  type EchoUpstream,
  gateway,
  INTERNAL_SECRET,
  openTestDb,
  startAuthStub,
  startEchoUpstream,
} from './fixtures.ts'

const OLD_PEPPER = 'old-pepper-0123456789abcdefghijklmnopqrstuvwxyz'
const NEW_PEPPER = 'new-pepper-0123456789abcdefghijklmnopqrstuvwxyz'

let db: TestDb
let auth: AuthStub
let bom: EchoUpstream

beforeAll(async () => {
  db = await openTestDb()
  auth = await startAuthStub()
  bom = await startEchoUpstream('bom-triggers')
})

afterAll(async () => {
  await Promise.all([auth?.close(), bom?.close()])
  await db?.close()
})

const rowOf = async (keyId: string) => (await db.db.select().from(apiKeys).where(eq(apiKeys.id, keyId)))[0]!

describe('pepper rotation', () => {
  it('verifies keys under the previous pepper, re-hashes them on use, and reports those left behind', async () => {
    const before = await gateway({
      db,
      auth,
      config: { API_KEY_PEPPER: OLD_PEPPER, BOM_TRIGGERS_URL: bom.url },
    })
    const owner = await userOf(auth)
    const tenantId = await createTenant(before, owner)
    const used = await createKey(before, owner, tenantId, { name: 'used' })
    const idle = await createKey(before, owner, tenantId, { name: 'idle' })
    await before.close()
    expect((await rowOf(used.id)).pepperVersion).toBe(pepperVersionOf(OLD_PEPPER))

    const during = await gateway({
      db,
      auth,
      config: { API_KEY_PEPPER: NEW_PEPPER, API_KEY_PEPPER_PREVIOUS: OLD_PEPPER, BOM_TRIGGERS_URL: bom.url },
    })
    const call = (app: typeof during, key: string) =>
      app.inject({ method: 'GET', url: '/api/tasks', headers: { 'x-api-key': key } })
    expect((await call(during, used.key)).statusCode).toBe(200)
    const rehashed = await rowOf(used.id)
    expect(rehashed.pepperVersion).toBe(pepperVersionOf(NEW_PEPPER))
    expect(rehashed.apiKeyHash).toBe(hmacSha256Hex(NEW_PEPPER, used.key))
    // New keys are hashed under the current pepper.
    const fresh = await createKey(during, owner, tenantId, { name: 'fresh' })
    expect((await rowOf(fresh.id)).pepperVersion).toBe(pepperVersionOf(NEW_PEPPER))
    await during.close()

    const peppers = { API_KEY_PEPPER: NEW_PEPPER, API_KEY_PEPPER_PREVIOUS: OLD_PEPPER }
    expect(await pepperStatus(db.db, peppers, new Date())).toMatchObject({
      onCurrent: 2,
      onPrevious: 1,
      activeOnPrevious: 1,
      onUnknown: 0,
      legacyRawKeys: 0,
    })
    const lines: string[] = []
    const exitCode = await runPepperStatusCommand({
      db,
      config: peppers,
      out: { log: (line) => lines.push(line) },
    })
    expect(exitCode).toBe(3)
    expect(lines.join('\n')).toContain('still needed by 1 keys')

    // After the window: the previous pepper is removed; the re-hashed key works, the idle one cannot.
    const after = await gateway({
      db,
      auth,
      config: { API_KEY_PEPPER: NEW_PEPPER, BOM_TRIGGERS_URL: bom.url },
    })
    expect((await call(after, used.key)).statusCode).toBe(200)
    expect((await call(after, fresh.key)).statusCode).toBe(200)
    const orphan = await call(after, idle.key)
    expect(orphan.statusCode).toBe(401)
    expect(orphan.json().reason).toBe('NOT_FOUND')
    await after.close()
    expect(await pepperStatus(db.db, { API_KEY_PEPPER: NEW_PEPPER }, new Date())).toMatchObject({
      onCurrent: 2,
      onUnknown: 1,
      activeOnUnknown: 1,
    })
  })
})

describe('configuration', () => {
  it('refuses to load without a pepper or internal secret in production', () => {
    let problems: string[] = []
    try {
      loadTenantGatewayConfig({ NODE_ENV: 'production' })
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      problems = (error as ConfigError).problems
    }
    expect(problems).toEqual([
      'API_KEY_PEPPER: is required in production',
      'INTERNAL_SECRET: is required in production',
    ])
    expect(() =>
      loadTenantGatewayConfig({ NODE_ENV: 'production', API_KEY_PEPPER: 'short', INTERNAL_SECRET }),
    ).toThrow(/API_KEY_PEPPER/)
    expect(() =>
      loadTenantGatewayConfig({
        NODE_ENV: 'production',
        API_KEY_PEPPER: NEW_PEPPER,
        API_KEY_PEPPER_PREVIOUS: NEW_PEPPER,
        INTERNAL_SECRET,
      }),
    ).toThrow(/must differ/)
    expect(
      loadTenantGatewayConfig({ NODE_ENV: 'production', API_KEY_PEPPER: NEW_PEPPER, INTERNAL_SECRET }),
    ).toMatchObject({
      KEY_ROTATION_OVERLAP: '24h',
      keyRotationOverlapMs: 24 * 3600 * 1000,
      KEY_CACHE_TTL_MS: 5000,
      RATE_LIMIT_FAIL_OPEN: true,
      jwksUrl: 'http://127.0.0.1:3001/.well-known/jwks.json',
    })
  })

  it('start exits with code 1 and says why when API_KEY_PEPPER is missing in production', async () => {
    const server = new URL('../src/server.ts', import.meta.url).pathname
    const child = spawn(process.execPath, ['--import', 'tsx', server], {
      env: { PATH: process.env.PATH, NODE_ENV: 'production', INTERNAL_SECRET },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    expect(code).toBe(1)
    expect(stderr).toContain('tenant-gateway: config error: API_KEY_PEPPER: is required in production')
  })
})
