import { PassThrough } from 'node:stream'
import { openPoolConnections, type TestDb } from '@gatehouse/db-kit/testing'
import { SERVICE_TOKEN_HEADER, signServiceToken } from '@gatehouse/service-kit'
import { freePort } from '@gatehouse/service-kit/testing'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { identities, sessions, users } from '../src/db/schema/index.ts'
import { totpCode } from '../src/two-factor/totp.ts'
import { type Browser, createBrowser, type Page } from './browser.ts'
import { auditEventsOf, bearer, login, me, PASSWORD, postJson, register, uniqueEmail } from './factories.ts'
import { INTERNAL_SECRET, openTestDb, startTestApp, type TestApp } from './fixtures.ts'
import { type GitHubStandIn, startGitHubStandIn } from './github-stand-in.ts'
import { CLIENT_ID, CLIENT_SECRET, type OidcHarness, startOidcProvider } from './oidc-harness.ts'

let db: TestDb
let t: TestApp
let oidc: OidcHarness
let github: GitHubStandIn
let appBase: string
let returnBase: string
const logLines: string[] = []
/** Every code, state and token the flows below handed out, looked for in the log at the end. */
const handedOut: string[] = []

const GITHUB_CLIENT = { id: 'Iv1.gatehouse-test', secret: 'github-test-client-secret-0123456789' }

function providerEnv(issuer: string, base: string) {
  return {
    OAUTH_PROVIDERS: 'corp,github',
    OAUTH_GITHUB_CLIENT_ID: GITHUB_CLIENT.id,
    OAUTH_GITHUB_CLIENT_SECRET: GITHUB_CLIENT.secret,
    OAUTH_GITHUB_BASE_URL: github.baseUrl,
    OAUTH_GITHUB_API_URL: github.baseUrl,
    OAUTH_CORP_ISSUER: issuer,
    OAUTH_CORP_CLIENT_ID: CLIENT_ID,
    OAUTH_CORP_CLIENT_SECRET: CLIENT_SECRET,
    OAUTH_CORP_LABEL: 'Corp SSO',
    PUBLIC_URL: base,
    OAUTH_RETURN_URLS: `${base}/app`,
    COOKIE_SECURE: 'false',
  }
}

beforeAll(async () => {
  db = await openTestDb()
  const port = await freePort()
  appBase = `http://127.0.0.1:${port}`
  returnBase = `${appBase}/app`
  oidc = await startOidcProvider({ redirectUris: [`${appBase}/api/auth/oauth/corp/callback`] })
  github = await startGitHubStandIn(GITHUB_CLIENT)
  const stream = new PassThrough()
  stream.on('data', (chunk: Buffer) => logLines.push(chunk.toString()))
  t = await startTestApp(db, { env: providerEnv(oidc.issuer, appBase), logger: { level: 'debug', stream } })
  await t.app.listen({ port, host: '127.0.0.1' })
})
afterAll(async () => {
  await t?.app.close()
  await oidc?.close()
  await github?.close()
  await db?.close()
})

const atReturnUrl = (url: string) => url.startsWith(returnBase)

/** The whole redirect dance: our start URL, the provider's login and consent pages, our callback. */
async function signIn(
  browser: Browser,
  subject: string,
  options: { rewrite?: (url: string) => string; returnTo?: string } = {},
): Promise<{ end: Page; callback: Page | undefined }> {
  const returnTo = encodeURIComponent(options.returnTo ?? `${returnBase}/home`)
  const navigation = { stopAt: atReturnUrl, ...(options.rewrite ? { rewrite: options.rewrite } : {}) }
  const first = await browser.navigate(`${appBase}/api/auth/oauth/corp?returnTo=${returnTo}`, navigation)
  const end = await browser.signInAtProvider(first, subject, navigation)
  const callback = browser.visited.findLast((url) => url.includes('/api/auth/oauth/corp/callback'))
  for (const url of browser.visited.filter((visited) => visited.includes('/callback?'))) {
    const params = new URL(url).searchParams
    for (const name of ['code', 'state']) if (params.get(name)) handedOut.push(params.get(name) as string)
  }
  for (const cookie of await browser.jar.getCookies(appBase)) handedOut.push(cookie.value)
  return { end, callback: callback ? { ...end, url: callback } : undefined }
}

/** What the page at the return URL does next: trade the refresh cookie for an access token. */
async function grantOf(browser: Browser) {
  const response = await browser.fetch(`${appBase}/api/auth/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  })
  expect(response.status).toBe(200)
  const grant = JSON.parse(response.text) as { accessToken: string; refreshToken: string; sessionId: string }
  handedOut.push(grant.accessToken, grant.refreshToken)
  return grant
}

function account(subject: string, email: string, verified = true) {
  oidc.accounts.set(subject, { email, email_verified: verified, name: `Person ${subject}` })
}

function problemOf(page: Page) {
  expect(page.headers.get('content-type')).toContain('application/problem+json')
  return JSON.parse(page.text) as { code: string; status: number; detail: string }
}

describe('OIDC sign-in through the whole redirect dance', () => {
  it('creates a new user from a verified provider identity, with PKCE, state and nonce, and a session', async () => {
    const email = uniqueEmail('newcomer')
    account('sub-new', email)
    const browser = createBrowser()
    const { end } = await signIn(browser, 'sub-new')
    expect(end.status).toBe(0)
    expect(end.url).toBe(`${returnBase}/home`)

    const authorize = new URL(browser.visited.find((url) => url.startsWith(`${oidc.issuer}/auth`)) as string)
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256')
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(authorize.searchParams.get('state')).toBeTruthy()
    expect(authorize.searchParams.get('nonce')).toBeTruthy()
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${appBase}/api/auth/oauth/corp/callback`)
    const stateCookie = (await browser.jar.getCookies(`${appBase}/api/auth/oauth/corp/callback`)).find(
      (cookie) => cookie.key === 'oauth_state',
    )
    expect(stateCookie).toBeUndefined() // spent by the callback

    const grant = await grantOf(browser)
    const profile = (await me(t.app, grant.accessToken)).json()
    expect(profile.user).toMatchObject({ email, name: 'Person sub-new', emailVerified: true })
    const [user] = await db.db.select().from(users).where(eq(users.email, email))
    expect(user).toMatchObject({ oauthProvider: 'corp', oauthId: 'sub-new', passwordHash: null })
    const events = await auditEventsOf(db.db, user?.id as string)
    expect(events.filter((event) => event === 'REGISTER' || event === 'LOGIN_SUCCESS')).toEqual(['REGISTER'])
    const list = await t.app.inject({
      method: 'GET',
      url: '/api/auth/identities',
      headers: bearer(grant.accessToken),
    })
    expect(list.json()).toMatchObject({
      hasPassword: false,
      identities: [{ provider: 'corp', email, emailVerified: true }],
    })
  })

  it('signs a returning user in to the same account, with a new session', async () => {
    const email = uniqueEmail('returning')
    account('sub-returning', email)
    const browser = createBrowser()
    await signIn(browser, 'sub-returning')
    const first = await grantOf(browser)
    // The provider remembers the person: this time it redirects straight back.
    const again = await signIn(browser, 'sub-returning')
    expect(again.end.url).toBe(`${returnBase}/home`)
    const second = await grantOf(browser)
    expect(second.sessionId).not.toBe(first.sessionId)
    const a = (await me(t.app, first.accessToken)).json().user
    const b = (await me(t.app, second.accessToken)).json().user
    expect(b.id).toBe(a.id)
    const events = await auditEventsOf(db.db, a.id)
    expect(events.filter((event) => event === 'LOGIN_SUCCESS')).toHaveLength(1)
    expect(await db.db.select().from(identities).where(eq(identities.userId, a.id))).toHaveLength(1)
  })

  it('links to an existing account by a verified email; the password keeps working', async () => {
    const existing = await register(t.app)
    await db.db.update(users).set({ emailVerifiedAt: new Date() }).where(eq(users.id, existing.user.id))
    account('sub-linking', existing.email.toUpperCase())
    const browser = createBrowser()
    await signIn(browser, 'sub-linking')
    const grant = await grantOf(browser)
    expect((await me(t.app, grant.accessToken)).json().user.id).toBe(existing.user.id)
    expect((await login(t.app, existing.email, PASSWORD)).statusCode).toBe(200)
    expect((await me(t.app, existing.accessToken)).statusCode).toBe(200)
    expect(await auditEventsOf(db.db, existing.user.id)).toContain('OAUTH_LINKED')
  })

  it('removes the password of an unverified account it links to (pre-hijacking), and revokes its sessions', async () => {
    const squatted = await register(t.app)
    account('sub-owner', squatted.email)
    const browser = createBrowser()
    await signIn(browser, 'sub-owner')
    const grant = await grantOf(browser)
    expect((await me(t.app, grant.accessToken)).json().user).toMatchObject({
      id: squatted.user.id,
      emailVerified: true,
    })
    expect((await login(t.app, squatted.email, PASSWORD)).statusCode).toBe(401)
    expect((await me(t.app, squatted.accessToken)).statusCode).toBe(401)
  })

  it('refuses to link or create on an email the provider has not verified, with a clear problem', async () => {
    const existing = await register(t.app)
    account('sub-unverified', existing.email, false)
    const browser = createBrowser()
    const { end } = await signIn(browser, 'sub-unverified')
    expect(end.status).toBe(409)
    expect(problemOf(end).code).toBe('AUTH_API_OAUTH_EMAIL_NOT_VERIFIED')
    account('sub-unverified-new', uniqueEmail('unverified'), false)
    const fresh = await signIn(createBrowser(), 'sub-unverified-new')
    expect(problemOf(fresh.end).code).toBe('AUTH_API_OAUTH_EMAIL_NOT_VERIFIED')
    oidc.accounts.set('sub-no-email', { name: 'No Email' })
    const none = await signIn(createBrowser(), 'sub-no-email')
    expect(none.end.status).toBe(422)
    expect(problemOf(none.end).code).toBe('AUTH_API_OAUTH_EMAIL_REQUIRED')
    expect(await db.db.select().from(identities).where(eq(identities.userId, existing.user.id))).toEqual([])
    expect(await auditEventsOf(db.db, existing.user.id)).toContain('OAUTH_LOGIN_FAILED')
  })

  it('refuses a callback whose state is not the one this browser started with', async () => {
    account('sub-state', uniqueEmail('state'))
    const browser = createBrowser()
    const rewrite = (url: string) =>
      url.includes('/callback?') ? url.replace(/state=[^&]+/, 'state=forged-state-value') : url
    const { end } = await signIn(browser, 'sub-state', { rewrite })
    expect(end.status).toBe(400)
    expect(problemOf(end).code).toBe('AUTH_API_OAUTH_STATE_INVALID')
    // And a callback from a browser that never started one.
    const stranger = await createBrowser().fetch(`${appBase}/api/auth/oauth/corp/callback?code=x&state=y`)
    expect(problemOf(stranger).code).toBe('AUTH_API_OAUTH_STATE_INVALID')
  })

  it('refuses a replayed authorization code, even with the original state cookie', async () => {
    account('sub-replay', uniqueEmail('replay'))
    const browser = createBrowser()
    // What an attacker who copied the callback request (URL and cookies) would send again.
    let copied: { url: string; cookie: string } | undefined
    const { end } = await signIn(browser, 'sub-replay', {
      rewrite: (url) => {
        if (url.includes('/callback?')) copied = { url, cookie: browser.jar.getCookieStringSync(url) }
        return url
      },
    })
    expect(end.status).toBe(0)
    const first = await grantOf(browser)
    const userId = (await me(t.app, first.accessToken)).json().user.id
    const before = await db.db.select().from(sessions).where(eq(sessions.userId, userId))
    expect(copied?.cookie).toContain('oauth_state=')
    const replay = await fetch(copied?.url as string, {
      headers: { cookie: copied?.cookie as string },
      redirect: 'manual',
    })
    expect(replay.status).toBe(400)
    expect(((await replay.json()) as { code: string }).code).toBe('AUTH_API_OAUTH_CODE_REJECTED')
    expect(await db.db.select().from(sessions).where(eq(sessions.userId, userId))).toHaveLength(before.length)
  })

  it('refuses an ID token whose payload was altered on the way (signature checked against the JWKS)', async () => {
    // The attack: the ID token claims someone else's verified email, which would link to their account.
    const victim = await register(t.app)
    await db.db.update(users).set({ emailVerifiedAt: new Date() }).where(eq(users.id, victim.user.id))
    account('sub-tampered', uniqueEmail('attacker'), false)
    oidc.tamperIdToken = (claims) => {
      claims.email = victim.email
      claims.email_verified = true
    }
    try {
      const { end } = await signIn(createBrowser(), 'sub-tampered')
      expect(end.status).toBe(502)
      expect(problemOf(end).code).toBe('AUTH_API_OAUTH_INVALID_ID_TOKEN')
    } finally {
      oidc.tamperIdToken = undefined
    }
    expect(await db.db.select().from(identities).where(eq(identities.userId, victim.user.id))).toEqual([])
    expect(await db.db.select().from(identities).where(eq(identities.subject, 'sub-tampered'))).toEqual([])
  })

  it('refuses an ID token signed with the provider’s own key but for another nonce, audience or issuer, or expired', async () => {
    const now = Math.floor(Date.now() / 1000)
    const cases: Array<[string, (claims: Record<string, unknown>) => void]> = [
      ['nonce', (claims) => Object.assign(claims, { nonce: 'the-nonce-of-another-sign-in' })],
      ['audience', (claims) => Object.assign(claims, { aud: 'another-client' })],
      ['issuer', (claims) => Object.assign(claims, { iss: 'http://127.0.0.1:1' })],
      ['expiry', (claims) => Object.assign(claims, { iat: now - 3600, exp: now - 600 })],
    ]
    oidc.resignIdToken = true
    try {
      // The control: signed again with nothing changed the token is good, so each refusal below is its claim's.
      account('sub-resigned', uniqueEmail('resigned'))
      oidc.tamperIdToken = () => {}
      expect((await signIn(createBrowser(), 'sub-resigned')).end.url).toBe(`${returnBase}/home`)
      for (const [claim, change] of cases) {
        const subject = `sub-claim-${claim}`
        account(subject, uniqueEmail(`claim-${claim}`))
        oidc.tamperIdToken = change
        const { end } = await signIn(createBrowser(), subject)
        expect([claim, end.status]).toEqual([claim, 502])
        expect([claim, problemOf(end).code]).toEqual([claim, 'AUTH_API_OAUTH_INVALID_ID_TOKEN'])
        expect(await db.db.select().from(identities).where(eq(identities.subject, subject))).toEqual([])
      }
    } finally {
      oidc.tamperIdToken = undefined
      oidc.resignIdToken = false
    }
  })

  it('answers 503 with Retry-After when the provider’s token endpoint fails with a 5xx', async () => {
    account('sub-token-5xx', uniqueEmail('token-5xx'))
    oidc.failing = { path: '/token', status: 500 }
    try {
      const { end } = await signIn(createBrowser(), 'sub-token-5xx')
      expect(end.status).toBe(503)
      expect(problemOf(end).code).toBe('AUTH_API_OAUTH_PROVIDER_UNAVAILABLE')
      expect(end.headers.get('retry-after')).toBe('30')
    } finally {
      oidc.failing = undefined
    }
  })

  it('answers 503 with Retry-After when the provider is down, at the callback and at the start', async () => {
    account('sub-down', uniqueEmail('down'))
    const browser = createBrowser()
    const start = await browser.navigate(`${appBase}/api/auth/oauth/corp`, { stopAt: atReturnUrl })
    // Signed in at the provider, stopped just before the browser comes back to our callback.
    const back = await browser.signInAtProvider(start, 'sub-down', {
      stopAt: (url) => url.includes('/callback?') || atReturnUrl(url),
    })
    expect(back.url).toContain('/api/auth/oauth/corp/callback?code=')
    await oidc.down()
    try {
      const callback = await browser.fetch(back.url)
      expect(callback.status).toBe(503)
      expect(problemOf(callback).code).toBe('AUTH_API_OAUTH_PROVIDER_UNAVAILABLE')
      expect(callback.headers.get('retry-after')).toBe('30')

      // A fresh instance that has not discovered the provider yet cannot even start.
      const cold = await startTestApp(db, { env: providerEnv(oidc.issuer, appBase) })
      try {
        const response = await cold.app.inject({ method: 'GET', url: '/api/auth/oauth/corp' })
        expect(response.statusCode).toBe(503)
        expect(response.json().code).toBe('AUTH_API_OAUTH_PROVIDER_UNAVAILABLE')
        expect(response.headers['set-cookie']).toBeUndefined()
      } finally {
        await cold.app.close()
      }
    } finally {
      await oidc.up()
    }
  })
})

describe('return URLs, providers and linking', () => {
  it('refuses return URLs outside OAUTH_RETURN_URLS (no open redirect) and unknown providers', async () => {
    for (const returnTo of [
      'https://evil.example/',
      '//evil.example/app',
      `${appBase}.evil.example/app`,
      `${appBase}/application`,
      'javascript:alert(1)',
      `http://user:pass@127.0.0.1:${new URL(appBase).port}/app`,
    ]) {
      const response = await t.app.inject({
        method: 'GET',
        url: `/api/auth/oauth/corp?returnTo=${encodeURIComponent(returnTo)}`,
      })
      expect([returnTo, response.statusCode]).toEqual([returnTo, 400])
      expect(response.json().code).toBe('AUTH_API_OAUTH_RETURN_URL_REFUSED')
      expect(response.headers['set-cookie']).toBeUndefined()
    }
    const unknown = await t.app.inject({ method: 'GET', url: '/api/auth/oauth/nope' })
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json().code).toBe('AUTH_API_OAUTH_PROVIDER_UNKNOWN')
    const providers = await t.app.inject({ method: 'GET', url: '/api/auth/oauth/providers' })
    expect(providers.json()).toEqual({
      providers: [
        { name: 'corp', label: 'Corp SSO', kind: 'oidc' },
        { name: 'github', label: 'GitHub', kind: 'github' },
      ],
    })
    const start = await t.app.inject({ method: 'GET', url: '/api/auth/oauth/corp' })
    expect(start.statusCode).toBe(302)
    const cookie = String(start.headers['set-cookie'])
    expect(cookie).toMatch(/oauth_state=[^;]+; Max-Age=600; Path=\/api\/auth\/oauth; HttpOnly; SameSite=Lax/)
  })

  it('refuses a state cookie that has expired, was altered, or was sealed for another provider', async () => {
    const start = async () => {
      const response = await t.app.inject({ method: 'GET', url: '/api/auth/oauth/corp' })
      expect(response.statusCode).toBe(302)
      const state = new URL(response.headers.location as string).searchParams.get('state') as string
      const cookie = /oauth_state=([^;]+)/.exec(String(response.headers['set-cookie']))?.[1] as string
      return { state, cookie }
    }
    const callback = async (
      provider: string,
      { state, cookie }: { state: string; cookie: string },
      answer: Record<string, string> = { code: 'a-code-never-issued' },
    ) => {
      const query = new URLSearchParams({ ...answer, state, iss: oidc.issuer })
      const response = await t.app.inject({
        method: 'GET',
        url: `/api/auth/oauth/${provider}/callback?${query}`,
        cookies: { oauth_state: cookie },
      })
      expect(response.statusCode).toBe(400)
      return response.json().code
    }
    // The control: a fresh cookie passes the state check, and the provider refuses the made-up code.
    expect(await callback('corp', await start())).toBe('AUTH_API_OAUTH_CODE_REJECTED')
    // And the person cancelling at the provider.
    expect(await callback('corp', await start(), { error: 'access_denied' })).toBe('AUTH_API_OAUTH_DENIED')

    const altered = await start()
    const flipped = altered.cookie[20] === 'A' ? 'B' : 'A'
    const cookie = `${altered.cookie.slice(0, 20)}${flipped}${altered.cookie.slice(21)}`
    expect(await callback('corp', { ...altered, cookie })).toBe('AUTH_API_OAUTH_STATE_INVALID')
    expect(await callback('github', await start())).toBe('AUTH_API_OAUTH_STATE_INVALID')
    const expired = await start()
    t.clock.advance(600_000 + 1000)
    expect(await callback('corp', expired)).toBe('AUTH_API_OAUTH_STATE_INVALID')
  })

  it('links a second identity to the signed-in account, and refuses unlinking the last way in', async () => {
    account('sub-main', uniqueEmail('main'))
    const browser = createBrowser()
    await signIn(browser, 'sub-main')
    const grant = await grantOf(browser)
    const list = async () =>
      (
        await t.app.inject({ method: 'GET', url: '/api/auth/identities', headers: bearer(grant.accessToken) })
      ).json()
    const [only] = (await list()).identities
    const refused = await t.app.inject({
      method: 'DELETE',
      url: `/api/auth/identities/${only.id}`,
      headers: bearer(grant.accessToken),
    })
    expect(refused.statusCode).toBe(409)
    expect(refused.json().code).toBe('AUTH_API_LAST_SIGN_IN_METHOD')

    // A second account at the provider, with another email, linked explicitly while signed in.
    account('sub-work', uniqueEmail('work'))
    const linkStart = await postJson(
      t.app,
      '/api/auth/oauth/corp/link',
      { returnTo: `${returnBase}/settings` },
      bearer(grant.accessToken),
    )
    expect(linkStart.statusCode).toBe(200)
    // The same person on another device, signed in at the provider as their work account: the link's state
    // cookie comes with the answer of /link, as a browser would keep it.
    const device = createBrowser()
    const stateCookie = String(linkStart.headers['set-cookie']).split(';')[0] as string
    await device.jar.setCookie(`${stateCookie}; Path=/api/auth/oauth`, appBase)
    const provider = await device.navigate(linkStart.json().authorizationUrl, { stopAt: atReturnUrl })
    const done = await device.signInAtProvider(provider, 'sub-work', { stopAt: atReturnUrl })
    expect(done.url).toBe(`${returnBase}/settings?linked=corp`)
    const linked = await list()
    expect(linked.identities).toHaveLength(2)
    // Seed 003's columns keep the first identity.
    const owner = (await me(t.app, grant.accessToken)).json().user.id
    const firstKept = { oauthProvider: 'corp', oauthId: 'sub-main' }
    expect((await db.db.select().from(users).where(eq(users.id, owner)))[0]).toMatchObject(firstKept)

    const work = linked.identities.find((identity: { email: string }) => identity.email.startsWith('work'))
    const unlinked = await t.app.inject({
      method: 'DELETE',
      url: `/api/auth/identities/${work.id}`,
      headers: bearer(grant.accessToken),
    })
    expect(unlinked.statusCode).toBe(204)
    expect((await list()).identities).toHaveLength(1)
    expect((await db.db.select().from(users).where(eq(users.id, owner)))[0]).toMatchObject(firstKept)
    const userId = (await me(t.app, grant.accessToken)).json().user.id
    expect(await auditEventsOf(db.db, userId)).toEqual(
      expect.arrayContaining(['OAUTH_LINKED', 'OAUTH_UNLINKED']),
    )
    const other = await register(t.app)
    const notMine = await t.app.inject({
      method: 'DELETE',
      url: `/api/auth/identities/${only.id}`,
      headers: bearer(other.accessToken),
    })
    expect(notMine.statusCode).toBe(404)
  })

  it('asks for the second factor after an OAuth sign-in when the account has two-factor on', async () => {
    const email = uniqueEmail('mfa-oauth')
    account('sub-mfa', email)
    const browser = createBrowser()
    await signIn(browser, 'sub-mfa')
    const grant = await grantOf(browser)
    // OAuth-only account: no password to give for enrolment.
    const started = await postJson(t.app, '/api/auth/2fa/totp', {}, bearer(grant.accessToken))
    expect(started.statusCode).toBe(201)
    const { secret } = started.json()
    await postJson(
      t.app,
      '/api/auth/2fa/totp/confirm',
      { code: totpCode(secret, t.clock()) },
      bearer(grant.accessToken),
    )
    t.clock.advance(30_000)

    const { end } = await signIn(browser, 'sub-mfa')
    expect(end.url).toBe(`${returnBase}/home?mfa=required`)
    const verified = await browser.fetch(`${appBase}/api/auth/2fa/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: totpCode(secret, t.clock()) }),
    })
    expect(verified.status).toBe(200)
    const session = JSON.parse(verified.text)
    expect((await me(t.app, session.accessToken)).json().user.email).toBe(email)
  })
})

describe('GitHub (plain OAuth 2)', () => {
  const signInWithGitHub = async (browser: Browser) =>
    browser.navigate(`${appBase}/api/auth/oauth/github?returnTo=${encodeURIComponent(`${returnBase}/gh`)}`, {
      stopAt: atReturnUrl,
    })

  it('signs in with the verified primary email from the API, PKCE and state checked, no ID token', async () => {
    const email = uniqueEmail('octo')
    github.user = {
      id: 4242,
      login: 'octocat',
      name: 'Octo Cat',
      emails: [
        { email: uniqueEmail('secondary'), primary: false, verified: true },
        { email, primary: true, verified: true },
      ],
    }
    const browser = createBrowser()
    const end = await signInWithGitHub(browser)
    expect(end.url).toBe(`${returnBase}/gh`)
    const authorize = new URL(browser.visited.find((url) => url.includes('/login/oauth/authorize')) as string)
    expect(authorize.searchParams.get('scope')).toBe('read:user user:email')
    expect(authorize.searchParams.has('nonce')).toBe(false)
    const grant = await grantOf(browser)
    expect((await me(t.app, grant.accessToken)).json().user).toMatchObject({
      email,
      name: 'Octo Cat',
      emailVerified: true,
    })
    const [user] = await db.db.select().from(users).where(eq(users.email, email))
    expect(user).toMatchObject({ oauthProvider: 'github', oauthId: '4242' })
  })

  it('refuses an unverified primary email', async () => {
    github.user = {
      id: 5151,
      login: 'unverified',
      name: 'Not Verified',
      emails: [{ email: uniqueEmail('gh-unverified'), primary: true, verified: false }],
    }
    const end = await signInWithGitHub(createBrowser())
    expect(end.status).toBe(409)
    expect(problemOf(end).code).toBe('AUTH_API_OAUTH_EMAIL_NOT_VERIFIED')
  })

  it('answers 503 when the GitHub API fails, and 502 when it refuses the token', async () => {
    github.user = {
      id: 6161,
      login: 'unlucky',
      name: 'Bad Day',
      emails: [{ email: uniqueEmail('gh-bad-day'), primary: true, verified: true }],
    }
    try {
      github.failing = { path: '/user/emails', status: 502 }
      const down = await signInWithGitHub(createBrowser())
      expect(down.status).toBe(503)
      expect(problemOf(down).code).toBe('AUTH_API_OAUTH_PROVIDER_UNAVAILABLE')
      expect(down.headers.get('retry-after')).toBe('30')
      github.failing = { path: '/user', status: 401 }
      const refused = await signInWithGitHub(createBrowser())
      expect(refused.status).toBe(502)
      expect(problemOf(refused).code).toBe('AUTH_API_OAUTH_PROVIDER_ERROR')
    } finally {
      github.failing = undefined
    }
    expect(await db.db.select().from(identities).where(eq(identities.subject, '6161'))).toEqual([])
  })
})

describe.runIf(process.env.TEST_DATABASE_URL)('unlinking under concurrency (PostgreSQL)', () => {
  it('never leaves a password-less account without a way in: of two concurrent unlinks, one wins', async () => {
    const [user] = await db.db
      .insert(users)
      .values({ email: uniqueEmail('two-ids'), name: 'Two Identities', emailVerifiedAt: new Date() })
      .returning()
    const userId = user?.id as string
    await db.db.insert(identities).values([
      { userId, provider: 'corp', subject: `a-${userId}`, emailVerified: true },
      { userId, provider: 'github', subject: `b-${userId}`, emailVerified: true },
    ])
    const token = await signServiceToken(INTERNAL_SECRET, { issuer: 'qr-auth', audience: 'auth-api' })
    const session = await t.app.inject({
      method: 'POST',
      url: '/internal/sessions',
      headers: { [SERVICE_TOKEN_HEADER]: token },
      payload: { userId },
    })
    const { accessToken } = session.json()
    const owned = await db.db.select().from(identities).where(eq(identities.userId, userId))
    await openPoolConnections(db, 2)
    const answers = await Promise.all(
      owned.map((identity) =>
        t.app.inject({
          method: 'DELETE',
          url: `/api/auth/identities/${identity.id}`,
          headers: bearer(accessToken),
        }),
      ),
    )
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([204, 409])
    expect(await db.db.select().from(identities).where(eq(identities.userId, userId))).toHaveLength(1)
  })
})

describe('logs', () => {
  it('hold no authorization code, state, cookie or token of the sign-ins above, even at debug level', () => {
    const log = logLines.join('')
    expect(log).toContain('/api/auth/oauth/corp/callback')
    const secrets = handedOut.filter((value) => typeof value === 'string' && value.length >= 16)
    expect(secrets.length).toBeGreaterThan(4)
    for (const secret of secrets) expect(log.includes(secret)).toBe(false)
  })
})
