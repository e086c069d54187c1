import { generateSigningKey, importSigningKey } from '@gatehouse/crypto'
import type { TestDb } from '@gatehouse/db-kit/testing'
import { signServiceToken } from '@gatehouse/service-kit'
import { isNull } from 'drizzle-orm'
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signingKeys } from '../src/db/schema/index.ts'
import { rotateSigningKey } from '../src/signing-keys.ts'
import { me, register } from './factories.ts'
import { closeTestApp, INTERNAL_SECRET, openTestApp, startTestApp, type TestApp } from './fixtures.ts'

let db: TestDb
let t: TestApp

beforeAll(async () => {
  ;({ db, t } = await openTestApp())
})
afterAll(() => closeTestApp(t, db))

async function jwks(app = t.app) {
  const response = await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })
  expect(response.statusCode).toBe(200)
  return response.json() as { keys: Array<{ kid: string; alg: string; d?: string }> }
}

async function activeKey() {
  const [row] = await db.db.select().from(signingKeys).where(isNull(signingKeys.retiredAt))
  if (!row) throw new Error('no active key')
  return importSigningKey(row.privateJwk)
}

describe('access tokens and the JWKS', () => {
  it('mints EdDSA JWTs that verify with jose against the JWKS endpoint alone, over HTTP', async () => {
    const user = await register(t.app)
    const header = decodeProtectedHeader(user.accessToken)
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' })
    expect(typeof header.kid).toBe('string')

    const address = await t.app.listen({ port: 0, host: '127.0.0.1' })
    const keySet = createRemoteJWKSet(new URL('/.well-known/jwks.json', address))
    const { payload } = await jwtVerify(user.accessToken, keySet, {
      issuer: 'gatehouse-auth-api',
      audience: 'gatehouse',
      currentDate: t.clock(),
    })
    expect(payload).toMatchObject({ sub: user.user.id, sid: user.sessionId })
    expect(payload.exp! - payload.iat!).toBe(900)

    const published = await jwks()
    expect(published.keys.every((key) => key.d === undefined)).toBe(true)
  })

  it('keeps a rotated key published until its tokens have expired, so rotation breaks no live token', async () => {
    const before = await register(t.app)
    const oldKid = decodeProtectedHeader(before.accessToken).kid
    const newKid = await rotateSigningKey(db.db, t.clock())
    t.clock.advance(61 * 1000) // the key cache of running instances

    const after = await register(t.app)
    expect(decodeProtectedHeader(after.accessToken).kid).toBe(newKid)
    const keySet = createLocalJWKSet(await jwks())
    expect((await jwks()).keys.map((key) => key.kid).sort()).toEqual([oldKid, newKid].sort())
    for (const token of [before.accessToken, after.accessToken]) {
      await expect(jwtVerify(token, keySet, { currentDate: t.clock() })).resolves.toBeDefined()
    }
    expect((await me(t.app, before.accessToken)).statusCode).toBe(200)

    t.clock.advance((900 + 60 + 60) * 1000)
    expect((await jwks()).keys.map((key) => key.kid)).toEqual([newKid])
  })

  it('answers 401 problem+json, never 500, for malformed, foreign, wrong-type and expired tokens', async () => {
    const user = await register(t.app)
    const ours = await activeKey()
    const foreign = await generateSigningKey('EdDSA')
    const now = Math.floor(t.clock().getTime() / 1000)
    const claims = { sid: user.sessionId }
    const sign = (key: typeof ours, header: Record<string, unknown> = {}, audience = 'gatehouse') =>
      new SignJWT(claims)
        .setSubject(user.user.id)
        .setIssuer('gatehouse-auth-api')
        .setAudience(audience)
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .setProtectedHeader({ alg: key.alg, kid: ours.kid, typ: 'at+jwt', ...header })
        .sign(key.privateKey)
    const unsigned = (header: object, payload: object) =>
      `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`

    const badTokens: Record<string, string> = {
      garbage: 'not-a-jwt',
      threeDots: 'a.b.c',
      foreignKeySameKid: await sign(foreign),
      wrongAudience: await sign(ours, {}, 'someone-else'),
      wrongType: await sign(ours, { typ: 'JWT' }),
      algNone: unsigned(
        { alg: 'none', typ: 'at+jwt', kid: ours.kid },
        { sub: user.user.id, sid: user.sessionId, exp: now + 600, iat: now },
      ),
      algConfusionHs256: await new SignJWT(claims)
        .setSubject(user.user.id)
        .setIssuer('gatehouse-auth-api')
        .setAudience('gatehouse')
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .setProtectedHeader({ alg: 'HS256', kid: ours.kid, typ: 'at+jwt' })
        .sign(new TextEncoder().encode(String(ours.publicJwk.x))),
      ourKidOtherAlg: `${unsigned({ alg: 'ES256', typ: 'at+jwt', kid: ours.kid }, { sub: user.user.id })}AAAA`,
      unknownKid: await sign(ours, { kid: 'no-such-key' }),
      serviceToken: await signServiceToken(INTERNAL_SECRET, { issuer: 'qr-auth', audience: 'auth-api' }),
      refreshTokenAsBearer: user.refreshToken,
    }
    for (const [name, token] of Object.entries(badTokens)) {
      const response = await me(t.app, token)
      expect([name, response.statusCode]).toEqual([name, 401])
      expect(response.headers['content-type']).toContain('application/problem+json')
    }
    for (const authorization of ['Bearer', 'Basic dXNlcjpwYXNz', `Bearer ${user.accessToken} extra`]) {
      const response = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization } })
      expect(response.statusCode).toBe(401)
    }
    const tooLong = await t.app.inject({
      method: 'GET',
      url: '/api/auth/me',
      headers: { authorization: `Bearer ${'a'.repeat(5000)}` },
    })
    expect(tooLong.statusCode).toBe(400)

    // The same token, valid a moment ago, expires with the clock.
    expect((await me(t.app, user.accessToken)).statusCode).toBe(200)
    t.clock.advance(901 * 1000)
    const expired = await me(t.app, user.accessToken)
    expect(expired.statusCode).toBe(401)
    expect(expired.json().code).toBe('AUTH_API_INVALID_ACCESS_TOKEN')
  })

  it("signs HS256 with JWT_ACCESS_SECRET when set (the seeds' setting) and still accepts JWKS-signed tokens", async () => {
    const secret = 'seed-style-access-secret-0123456789abcdef'
    const before = await register(t.app)
    const hs = await startTestApp(db, { env: { JWT_ACCESS_SECRET: secret }, clock: t.clock })
    const user = await register(hs.app)
    expect(decodeProtectedHeader(user.accessToken)).toMatchObject({ alg: 'HS256', typ: 'at+jwt' })
    const { payload } = await jwtVerify(user.accessToken, new TextEncoder().encode(secret), {
      currentDate: t.clock(),
    })
    expect(payload.sub).toBe(user.user.id)
    expect((await me(hs.app, user.accessToken)).statusCode).toBe(200)
    expect((await me(hs.app, before.accessToken)).statusCode).toBe(200)
    // And the asymmetric-only instance does not accept HS256 tokens.
    expect((await me(t.app, user.accessToken)).statusCode).toBe(401)
    await hs.app.close()
  })
})
