import { calculateJwkThumbprint, createLocalJWKSet, jwtVerify, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { generateSigningKey, importSigningKey, type SigningAlg, type SigningKey } from '../src/index.ts'

async function sign(key: SigningKey): Promise<string> {
  return new SignJWT({ sid: 'session-1' })
    .setProtectedHeader({ alg: key.alg, kid: key.kid })
    .setSubject('user-1')
    .setIssuedAt()
    .setExpirationTime('15m')
    .sign(key.privateKey)
}

describe.each(['EdDSA', 'ES256'] as const)('signing keys (%s)', (alg: SigningAlg) => {
  it('sign a JWT that verifies against a JWKS of public keys, selected by kid', async () => {
    const key = await generateSigningKey(alg)
    const other = await generateSigningKey(alg)
    expect(key.alg).toBe(alg)
    expect(key.kid).toBe(await calculateJwkThumbprint(key.publicJwk))
    expect(key.publicJwk).toMatchObject({ kid: key.kid, alg, use: 'sig' })
    expect(key.publicJwk.d).toBeUndefined()
    expect(key.privateJwk.d).toEqual(expect.any(String))

    const jwks = createLocalJWKSet({ keys: [other.publicJwk, key.publicJwk] })
    const { payload, protectedHeader } = await jwtVerify(await sign(key), jwks, { algorithms: [alg] })
    expect(protectedHeader.kid).toBe(key.kid)
    expect(payload).toMatchObject({ sub: 'user-1', sid: 'session-1' })

    const onlyOther = createLocalJWKSet({ keys: [other.publicJwk] })
    await expect(jwtVerify(await sign(key), onlyOther)).rejects.toThrow()
  })

  it('round-trip through the stored private JWK', async () => {
    const key = await generateSigningKey(alg)
    const stored = JSON.parse(JSON.stringify(key.privateJwk))
    const imported = await importSigningKey(stored)
    expect(imported.kid).toBe(key.kid)
    expect(imported.alg).toBe(alg)
    expect(imported.publicJwk).toEqual(key.publicJwk)

    const jwks = createLocalJWKSet({ keys: [key.publicJwk] })
    await expect(jwtVerify(await sign(imported), jwks)).resolves.toBeTruthy()
  })
})

describe('signing keys', () => {
  it('default to EdDSA (Ed25519)', async () => {
    const key = await generateSigningKey()
    expect(key.alg).toBe('EdDSA')
    expect(key.publicJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519' })
  })

  it('recompute a missing kid on import', async () => {
    const key = await generateSigningKey()
    const { kid: _kid, ...noKid } = key.privateJwk
    expect((await importSigningKey(noKid)).kid).toBe(key.kid)
  })

  it('refuse public keys, unsupported algs and mismatched curves', async () => {
    const ed = await generateSigningKey('EdDSA')
    const es = await generateSigningKey('ES256')
    await expect(importSigningKey(ed.publicJwk)).rejects.toThrow(/private key/)
    await expect(importSigningKey({ ...ed.privateJwk, alg: 'RS256' })).rejects.toThrow(/unsupported/)
    await expect(importSigningKey({ ...ed.privateJwk, alg: undefined })).rejects.toThrow(/unsupported/)
    await expect(importSigningKey({ ...es.privateJwk, alg: 'EdDSA' })).rejects.toThrow(/Ed25519/)
  })
})
