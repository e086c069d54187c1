import { createLocalJWKSet, jwtVerify, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { generateSigningKey, signCompactJws } from '../src/index.ts'

const claims = {
  sid: 'session-1',
  sub: 'user-1',
  iss: 'issuer',
  aud: 'audience',
  iat: 1_800_000_000,
  exp: 1_800_000_900,
}

function withJose(header: { alg: string; kid?: string; typ?: string }, key: Parameters<SignJWT['sign']>[0]) {
  return new SignJWT({ sid: claims.sid })
    .setSubject(claims.sub)
    .setIssuer(claims.iss)
    .setAudience(claims.aud)
    .setIssuedAt(claims.iat)
    .setExpirationTime(claims.exp)
    .setProtectedHeader(header)
    .sign(key)
}

describe('signCompactJws', () => {
  it('is byte-identical to jose for EdDSA (deterministic signatures)', async () => {
    const key = await generateSigningKey('EdDSA')
    const header = { alg: 'EdDSA' as const, kid: key.kid, typ: 'at+jwt' }
    expect(signCompactJws(header, claims, key.privateKey)).toBe(await withJose(header, key.privateKey))
  })

  it('is byte-identical to jose for HS256', async () => {
    const secret = new TextEncoder().encode('a secret of at least thirty-two bytes!!')
    const header = { alg: 'HS256' as const, typ: 'at+jwt' }
    expect(signCompactJws(header, claims, secret)).toBe(await withJose(header, secret))
  })

  it('signs ES256 in the JOSE encoding (raw r||s), which jose verifies against the JWKS', async () => {
    const key = await generateSigningKey('ES256')
    const token = signCompactJws({ alg: 'ES256', kid: key.kid }, claims, key.privateKey)
    expect(Buffer.from(token.split('.')[2]!, 'base64url')).toHaveLength(64)
    const jwks = createLocalJWKSet({ keys: [key.publicJwk] })
    const { payload } = await jwtVerify(token, jwks, { currentDate: new Date(claims.iat * 1000) })
    expect(payload).toEqual(claims)
  })

  it('refuses a key of the wrong kind instead of signing with it', async () => {
    const key = await generateSigningKey('EdDSA')
    expect(() => signCompactJws({ alg: 'HS256' }, claims, key.privateKey)).toThrow(TypeError)
    expect(() => signCompactJws({ alg: 'EdDSA' }, claims, new Uint8Array(32))).toThrow(TypeError)
  })
})
