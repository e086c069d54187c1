import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { upstreamServices } from '@gatehouse/service-kit'
import { describe, expect, it } from 'vitest'
import { call, startPlatform } from './platform.ts'

describe('pnpm start (scripts/start.ts)', () => {
  it('brings up all five services behind the gateway and stops them cleanly on Ctrl-C', async () => {
    const platform = await startPlatform()
    const { gateway } = platform
    expect(platform.output()).toContain(gateway)

    for (const { name: service, publicPrefixes } of upstreamServices()) {
      const path = `${publicPrefixes[0]}/health`
      const response = await fetch(`${gateway}${path}`, { headers: { 'x-request-id': `start-${service}` } })
      expect(response.status, path).toBe(200)
      expect(response.headers.get('x-request-id')).toBe(`start-${service}`)
      expect(await response.json()).toMatchObject({ status: 'ok', service })
    }
    // One user story across three processes: auth-api mints a JWT, the gateway verifies it against auth-api's JWKS,
    // issues an API key, and forwards a keyed request with a signed context that the upstream accepts.
    const password = 'Correct-Horse-9-Battery'
    const registered = await call(gateway, 'POST', '/api/auth/register', {
      body: { email: 'ann@example.com', name: 'Ann', password, confirmPassword: password },
    })
    expect(registered.status).toBe(201)
    const auth = { authorization: `Bearer ${registered.body.accessToken}` }
    const tenant = await call(gateway, 'POST', '/api/tenants', { body: { name: 'Acme' }, headers: auth })
    expect(tenant.status).toBe(201)
    const tenantId = tenant.body.id as string
    const created = await call(gateway, 'POST', `/api/tenants/${tenantId}/keys`, {
      body: { name: 'ci', scopes: ['usage:read'] },
      headers: auth,
    })
    expect(created.status).toBe(201)
    const key = created.body.key as string
    const verified = await call(gateway, 'POST', '/api/keys/verify', { body: { key } })
    expect(verified.body).toMatchObject({ valid: true, tenantId })
    // bom-triggers answers with the new tenant's (empty) task list: it accepted the gateway's signed context, and
    // the forged header the client sent was not what reached it.
    const keyed = await call(gateway, 'GET', '/api/tasks', {
      headers: { 'x-api-key': key, 'x-gatehouse-context': 'forged' },
    })
    expect(keyed.status).toBe(200)
    expect(keyed.body).toEqual({ items: [], nextCursor: null })
    const anonymous = await call(gateway, 'GET', '/api/tasks')
    expect(anonymous.status).toBe(401)

    const secrets = JSON.parse(readFileSync(join(platform.dataDir, 'secrets.json'), 'utf8'))
    expect(Object.keys(secrets)).toEqual(
      expect.arrayContaining(['INTERNAL_SECRET', 'CRON_SECRET', 'API_KEY_PEPPER']),
    )

    const authApiPort = platform.ports['auth-api']
    expect(await platform.stop()).toBe(0)
    await expect(fetch(`http://127.0.0.1:${authApiPort}/health`)).rejects.toThrow()
  }, 120_000)
})
