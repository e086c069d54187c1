import { randomUUID } from 'node:crypto'
import { generateSigningKey } from '@gatehouse/crypto'
import { type CryptoKey, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { AccessTokenRejected, createAccessTokenVerifier } from '../src/access-token-verifier.ts'
import { createTestClock } from '../src/clock.ts'

// Issue 13, defect 7: one verifier, the rules auth-api and the gateway both apply.
describe('createAccessTokenVerifier', async () => {
  const key = await generateSigningKey()
  const clock = createTestClock(new Date('2030-01-01T00:00:00Z'))
  const now = Math.floor(clock().getTime() / 1000)
  const secret = 'seed-hs256-access-secret-0123456789abcdef'
  const verifier = createAccessTokenVerifier({
    issuer: 'gatehouse-auth-api',
    audience: 'gatehouse',
    maxLifetimeSeconds: 900,
    clock,
    hs256Secret: secret,
    keyFor: async ({ kid }) => {
      if (kid !== key.kid) throw new AccessTokenRejected('unknown kid')
      return key.publicJwk
    },
  })
  const userId = randomUUID()
  const sessionId = randomUUID()
  const token = (
    header: Record<string, unknown> = { alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' },
    claims: Record<string, unknown> = { sid: sessionId },
    times = { iat: now, exp: now + 900 },
    signingKey: CryptoKey | Uint8Array | object = key.privateKey,
  ) =>
    new SignJWT(claims)
      .setProtectedHeader(header as { alg: string })
      .setSubject(userId)
      .setIssuer('gatehouse-auth-api')
      .setAudience('gatehouse')
      .setIssuedAt(times.iat)
      .setExpirationTime(times.exp)
      .sign(signingKey as CryptoKey)

  it('accepts our tokens: EdDSA with kid, and HS256 with the configured secret', async () => {
    await expect(verifier.verify(await token())).resolves.toMatchObject({ userId, sessionId })
    const hs = await token(
      { alg: 'HS256', typ: 'at+jwt' },
      { sid: sessionId },
      undefined,
      new TextEncoder().encode(secret),
    )
    await expect(verifier.verify(hs)).resolves.toMatchObject({ userId, sessionId })
  })

  it('refuses wrong or missing typ, kid and sid, a future iat, a too long life and an expired token', async () => {
    const cases: Record<string, string> = {
      typJwt: await token({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' }),
      noTyp: await token({ alg: 'EdDSA', kid: key.kid }),
      noKid: await token({ alg: 'EdDSA', typ: 'at+jwt' }),
      unknownKid: await token({ alg: 'EdDSA', kid: 'nope', typ: 'at+jwt' }),
      noSid: await token(undefined, {}),
      sidNotUuid: await token(undefined, { sid: 'abc' }),
      iatNextYear: await token(undefined, undefined, {
        iat: now + 365 * 86_400,
        exp: now + 365 * 86_400 + 60,
      }),
      year3000: await token(undefined, undefined, { iat: now, exp: Math.floor(Date.UTC(3000, 0, 1) / 1000) }),
      expired: await token(undefined, undefined, { iat: now - 1_000, exp: now - 100 }),
      garbage: 'not.a.token',
    }
    for (const [name, bad] of Object.entries(cases)) {
      const outcome = await verifier.verify(bad).catch((error: unknown) => error)
      expect([name, outcome instanceof AccessTokenRejected]).toEqual([name, true])
    }
    // A few seconds of clock difference are fine.
    await expect(
      verifier.verify(await token(undefined, undefined, { iat: now + 4, exp: now + 900 })),
    ).resolves.toBeDefined()
  })

  it('lets a key lookup failure through as it is (the caller answers 503, not 401)', async () => {
    const down = createAccessTokenVerifier({
      issuer: 'gatehouse-auth-api',
      audience: 'gatehouse',
      maxLifetimeSeconds: 900,
      clock,
      keyFor: async () => {
        throw new Error('database unreachable')
      },
    })
    await expect(down.verify(await token())).rejects.toThrow('database unreachable')
  })
})
