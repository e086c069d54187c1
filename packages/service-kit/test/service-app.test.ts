import { createTestDb, type TestDb } from '@gatehouse/db-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requireTenantCaller } from '../src/caller-context.ts'
import { INTERNAL_CONTEXT_HEADER, signInternalContext } from '../src/internal-auth.ts'
import { createServiceApp, type ServiceAppConfig } from '../src/service-app.ts'

const secret = 's'.repeat(40)
const config: ServiceAppConfig = {
  LOG_LEVEL: 'silent',
  LOG_PRETTY: false,
  INTERNAL_SECRET: secret,
  TRUST_PROXY: 'loopback',
  LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: 0,
}

let db: TestDb
beforeAll(async () => {
  db = await createTestDb()
})
afterAll(async () => db?.close())

describe('createServiceApp', () => {
  it('verifies the caller context in an upstream, with the service prefix on its codes', async () => {
    const app = createServiceApp('metering', { config, db, logger: false })
    app.get('/api/usage/who', async (request) => requireTenantCaller(request))
    const anonymous = await app.inject({ method: 'GET', url: '/api/usage/who' })
    expect(anonymous.statusCode).toBe(401)
    expect(anonymous.json().code).toBe('METERING_CALLER_REQUIRED')
    const token = await signInternalContext(secret, { tenantId: 't-1', scopes: [] }, { audience: 'metering' })
    const signed = await app.inject({
      method: 'GET',
      url: '/api/usage/who',
      headers: { [INTERNAL_CONTEXT_HEADER]: token },
    })
    expect(signed.json()).toEqual({ tenantId: 't-1', scopes: [] })
    await app.close()
  })

  it('leaves the gateway without a caller context (it resolves its callers itself)', async () => {
    const app = createServiceApp('tenant-gateway', { config, db, logger: false })
    await app.ready()
    expect(app.hasRequestDecorator('caller')).toBe(false)
    await app.close()
  })

  it('trusts the proxies TRUST_PROXY names, probes the database for readiness, and takes overrides', async () => {
    const app = createServiceApp('qr-auth', { config, db, logger: false }, { bodyLimit: 10 })
    app.get('/ip', async (request) => ({ ip: request.ip }))
    app.post('/echo', async (request) => request.body)
    const forwarded = await app.inject({
      method: 'GET',
      url: '/ip',
      headers: { 'x-forwarded-for': '203.0.113.9' },
    })
    expect(forwarded.json()).toEqual({ ip: '203.0.113.9' })
    const ready = await app.inject({ method: 'GET', url: '/ready' })
    expect(ready.statusCode).toBe(200)
    const large = await app.inject({ method: 'POST', url: '/echo', payload: { text: 'more than ten bytes' } })
    expect(large.statusCode).toBe(413)
    expect(large.json().code).toBe('QR_AUTH_BODY_TOO_LARGE')
    await app.close()
  })
})
