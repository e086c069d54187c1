import { SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  signInternalContext,
  signServiceToken,
  verifyInternalContext,
  verifyServiceToken,
} from '../src/internal-auth.ts'

const secret = 's'.repeat(40)

describe('internal context token', () => {
  it('round-trips the caller context for the intended audience', async () => {
    const token = await signInternalContext(
      secret,
      { tenantId: 't1', userId: 'u1', scopes: ['tasks:read'] },
      { audience: 'bom-triggers' },
    )
    await expect(verifyInternalContext(secret, token, { audience: 'bom-triggers' })).resolves.toEqual({
      tenantId: 't1',
      userId: 'u1',
      keyId: undefined,
      scopes: ['tasks:read'],
    })
  })

  it('rejects another audience, another secret, or a token of the wrong type', async () => {
    const token = await signInternalContext(secret, { scopes: [] }, { audience: 'metering' })
    await expect(verifyInternalContext(secret, token, { audience: 'auth-api' })).rejects.toMatchObject({
      statusCode: 401,
    })
    await expect(
      verifyInternalContext('x'.repeat(40), token, { audience: 'metering' }),
    ).rejects.toMatchObject({ statusCode: 401 })
    const serviceToken = await signServiceToken(secret, { issuer: 'qr-auth', audience: 'metering' })
    await expect(verifyInternalContext(secret, serviceToken, { audience: 'metering' })).rejects.toMatchObject(
      { statusCode: 401 },
    )
  })

  it('rejects an expired token', async () => {
    const expired = await new SignJWT({ scp: [] })
      .setProtectedHeader({ alg: 'HS256', typ: 'gatehouse-context+jwt' })
      .setAudience('metering')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 120)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(secret))
    await expect(verifyInternalContext(secret, expired, { audience: 'metering' })).rejects.toMatchObject({
      statusCode: 401,
    })
  })
})

describe('service token', () => {
  it('identifies the calling service and enforces the allow-list', async () => {
    const token = await signServiceToken(secret, { issuer: 'qr-auth', audience: 'auth-api' })
    await expect(
      verifyServiceToken(secret, token, { audience: 'auth-api', allowedIssuers: ['qr-auth'] }),
    ).resolves.toBe('qr-auth')
    await expect(
      verifyServiceToken(secret, token, { audience: 'auth-api', allowedIssuers: ['tenant-gateway'] }),
    ).rejects.toMatchObject({ statusCode: 401 })
    await expect(verifyServiceToken(secret, undefined, { audience: 'auth-api' })).rejects.toMatchObject({
      statusCode: 401,
    })
  })
})

describe('caller context on an upstream', () => {
  async function upstream() {
    const { createService } = await import('../src/create-service.ts')
    const { requireTenantCaller } = await import('../src/caller-context.ts')
    const app = createService({ name: 'metering', logger: false, internalSecret: secret })
    app.get('/whoami', async (request) => requireTenantCaller(request))
    return app
  }

  it('exposes the context the gateway signed', async () => {
    const app = await upstream()
    const token = await signInternalContext(
      secret,
      { tenantId: 't1', scopes: ['usage:read'] },
      { audience: 'metering' },
    )
    const response = await app.inject({ url: '/whoami', headers: { 'x-gatehouse-context': token } })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toMatchObject({ tenantId: 't1', scopes: ['usage:read'] })
    await app.close()
  })

  it('refuses a forged or misdirected context and a missing one', async () => {
    const app = await upstream()
    const forged = await signInternalContext(
      'f'.repeat(40),
      { tenantId: 't1', scopes: [] },
      { audience: 'metering' },
    )
    const misdirected = await signInternalContext(
      secret,
      { tenantId: 't1', scopes: [] },
      { audience: 'auth-api' },
    )
    for (const headers of [
      { 'x-gatehouse-context': forged },
      { 'x-gatehouse-context': misdirected },
      { 'x-tenant-id': 't1' },
    ]) {
      const response = await app.inject({ url: '/whoami', headers })
      expect(response.statusCode).toBe(401)
      expect(response.headers['content-type']).toContain('application/problem+json')
    }
    await app.close()
  })
})
