import { createHmac } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { freePort } from '@gatehouse/service-kit/testing'
import { describe, expect, it } from 'vitest'
import { createBrowser } from '../../services/auth-api/test/browser.ts'
import { linkTokenOfEml } from '../../services/auth-api/test/mail-files.ts'
import { CLIENT_ID, CLIENT_SECRET, startOidcProvider } from '../../services/auth-api/test/oidc-harness.ts'
import { call, startPlatform } from './platform.ts'

/** RFC 6238 written out here (HMAC-SHA1, 30 s, 6 digits): an authenticator app independent of the service's. */
function authenticatorCode(base32Secret: string, at: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = ''
  for (const char of base32Secret.replace(/=+$/, ''))
    bits += alphabet.indexOf(char).toString(2).padStart(5, '0')
  const key = Buffer.from(bits.match(/.{8}/g)?.map((byte) => Number.parseInt(byte, 2)) ?? [])
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30_000)))
  const mac = createHmac('sha1', key).update(counter).digest()
  const offset = (mac[mac.length - 1] as number) & 0x0f
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0')
}

/** The newest mail of a kind for an address in the platform's mail folder, waiting while it is being written. */
async function mailFor(mailDir: string, kind: string, to: string, count = 1): Promise<string> {
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    const files = existsSync(mailDir)
      ? readdirSync(mailDir)
          .filter((name) => name.includes(`-${kind}-${to}-`) && name.endsWith('.eml'))
          .sort()
      : []
    if (files.length >= count) return readFileSync(join(mailDir, files.at(-1) as string), 'utf8')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`no ${kind} mail for ${to} in ${mailDir}`)
}

describe('auth-api through the gateway (pnpm start)', () => {
  it('verifies the email, resets the password, turns on TOTP and signs in in two steps, then with OIDC', async () => {
    // The gateway's port is chosen here so the OIDC provider knows our callback before the platform starts.
    const gatewayPort = await freePort()
    const gateway = `http://127.0.0.1:${gatewayPort}`
    const oidc = await startOidcProvider({ redirectUris: [`${gateway}/api/auth/oauth/corp/callback`] })
    const platform = await startPlatform({
      TENANT_GATEWAY_PORT: String(gatewayPort),
      LOG_LEVEL: 'info',
      PUBLIC_URL: gateway,
      APP_URL: `${gateway}/app`,
      OAUTH_PROVIDERS: 'corp',
      OAUTH_CORP_ISSUER: oidc.issuer,
      OAUTH_CORP_CLIENT_ID: CLIENT_ID,
      OAUTH_CORP_CLIENT_SECRET: CLIENT_SECRET,
      OAUTH_RETURN_URLS: `${gateway}/app`,
    })
    const mailDir = join(platform.dataDir, 'mail')
    const secrets: string[] = []
    try {
      const email = `story-${Date.now()}@example.com`
      const password = 'Correct-Horse-9-Battery'
      const registered = await call(gateway, 'POST', '/api/auth/register', {
        body: { email, name: 'Story', password, confirmPassword: password },
      })
      expect(registered.status).toBe(201)
      expect(registered.body.user.emailVerified).toBe(false)

      // The verification link, from the .eml file the embedded default wrote.
      const verifyToken = await linkTokenOfEml(await mailFor(mailDir, 'verify-email', email))
      secrets.push(verifyToken)
      const verified = await call(gateway, 'POST', '/api/auth/verify-email', { body: { token: verifyToken } })
      expect(verified.status).toBe(200)
      expect(verified.body.user.emailVerified).toBe(true)
      expect(platform.output()).toContain(`mail is written to files in ${mailDir}`)

      // Forgotten password: a link by mail, a new password, every session signed out.
      expect((await call(gateway, 'POST', '/api/auth/password-reset', { body: { email } })).status).toBe(202)
      const resetToken = await linkTokenOfEml(await mailFor(mailDir, 'password-reset', email))
      secrets.push(resetToken)
      const newPassword = 'Battery-Staple-Horse-10'
      const reset = await call(gateway, 'POST', '/api/auth/password-reset/confirm', {
        body: { token: resetToken, password: newPassword },
      })
      expect(reset.body).toEqual({ revokedSessions: 1 })
      const oldToken = { authorization: `Bearer ${registered.body.accessToken}` }
      expect((await call(gateway, 'GET', '/api/auth/me', { headers: oldToken })).status).toBe(401)

      // TOTP: enrol with the QR's secret, confirm with a first code, then sign in in two steps.
      const signedIn = await call(gateway, 'POST', '/api/auth/login', {
        body: { email, password: newPassword },
      })
      const auth = { authorization: `Bearer ${signedIn.body.accessToken}` }
      const enrolment = await call(gateway, 'POST', '/api/auth/2fa/totp', {
        body: { password: newPassword },
        headers: auth,
      })
      expect(enrolment.status).toBe(201)
      expect(enrolment.body.qrCode).toMatch(/^data:image\/png;base64,/)
      const { secret } = enrolment.body
      secrets.push(secret)
      const confirmed = await call(gateway, 'POST', '/api/auth/2fa/totp/confirm', {
        body: { code: authenticatorCode(secret, Date.now()) },
        headers: auth,
      })
      expect(confirmed.status).toBe(200)
      secrets.push(...confirmed.body.backupCodes)

      const first = await call(gateway, 'POST', '/api/auth/login', { body: { email, password: newPassword } })
      expect(first.body).toMatchObject({ mfaRequired: true })
      expect(first.body.accessToken).toBeUndefined()
      secrets.push(first.body.mfaToken)
      // The enrolment spent this 30 s step's code: the next step's is within the ±1 window.
      const second = await call(gateway, 'POST', '/api/auth/2fa/verify', {
        body: { mfaToken: first.body.mfaToken, code: authenticatorCode(secret, Date.now() + 30_000) },
      })
      expect(second.status).toBe(200)
      const me = await call(gateway, 'GET', '/api/auth/me', {
        headers: { authorization: `Bearer ${second.body.accessToken}` },
      })
      expect(me.body.user).toMatchObject({ email, emailVerified: true })

      // OIDC through the gateway: its redirects and Set-Cookie pass through; the account with 2FA on is asked
      // for the second factor after the provider, and the challenge waits in a cookie.
      oidc.accounts.set('story-sub', { email, email_verified: true, name: 'Story' })
      const browser = createBrowser()
      const atApp = (url: string) => url.startsWith(`${gateway}/app`)
      const start = await browser.navigate(
        `${gateway}/api/auth/oauth/corp?returnTo=${encodeURIComponent(`${gateway}/app/done`)}`,
        {
          stopAt: atApp,
        },
      )
      const landed = await browser.signInAtProvider(start, 'story-sub', { stopAt: atApp })
      expect(landed.url).toBe(`${gateway}/app/done?mfa=required`)
      const mfa = await browser.fetch(`${gateway}/api/auth/2fa/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: confirmed.body.backupCodes[0] }),
      })
      expect(mfa.status).toBe(200)
      const refreshed = await browser.fetch(`${gateway}/api/auth/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      })
      expect(refreshed.status).toBe(200)
      const identities = await call(gateway, 'GET', '/api/auth/identities', {
        headers: { authorization: `Bearer ${JSON.parse(refreshed.text).accessToken}` },
      })
      expect(identities.body).toMatchObject({ hasPassword: true, identities: [{ provider: 'corp', email }] })

      // Across the processes' logs: no link token, TOTP secret, backup code or challenge.
      const output = platform.output()
      for (const value of secrets) expect(output.includes(value)).toBe(false)
    } finally {
      expect(await platform.stop()).toBe(0)
      await oidc.close()
    }
  }, 180_000)
})
