import { PassThrough } from 'node:stream'
import type { TestDb } from '@gatehouse/db-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { totpCode } from '../src/two-factor/totp.ts'
import { bearer, login, me, PASSWORD, postJson, refresh, register } from './factories.ts'
import { openTestDb, startTestApp, type TestApp } from './fixtures.ts'
import { type CaughtMail, linkToken, type MailCatcher, startMailCatcher } from './mail-catcher.ts'

let db: TestDb
let t: TestApp
let smtp: MailCatcher
const logLines: string[] = []

beforeAll(async () => {
  db = await openTestDb()
  smtp = await startMailCatcher()
  const stream = new PassThrough()
  stream.on('data', (chunk: Buffer) => logLines.push(chunk.toString()))
  t = await startTestApp(db, { logger: { level: 'debug', stream }, env: { SMTP_URL: smtp.url } })
})
afterAll(async () => {
  await t?.app.close()
  await smtp?.close()
  await db?.close()
})

const mailed = async (to: string, subject: RegExp) =>
  linkToken(await smtp.waitFor((mail: CaughtMail) => mail.to === to && subject.test(mail.subject)))

/**
 * The secrets of the account flows added with issue 12: mailed link tokens, the TOTP secret, backup codes, the
 * MFA challenge, new passwords. TOTP codes are left out of the search: six digits turn up in any log by chance.
 */
async function accountFlow(): Promise<string[]> {
  const secrets: string[] = []
  const user = await register(t.app)
  const verification = await mailed(user.email, /Confirm your email/)
  await postJson(t.app, '/api/auth/verify-email', { token: verification })
  await postJson(t.app, '/api/auth/verify-email', { token: verification }) // refused: logged at info
  await postJson(t.app, '/api/auth/password-reset', { email: user.email })
  const reset = await mailed(user.email, /Reset your password/)
  const newPassword = 'a reset passphrase, logged nowhere'
  await postJson(t.app, '/api/auth/password-reset/confirm', { token: reset, password: newPassword })
  const signedIn = (await login(t.app, user.email, newPassword)).json()
  const changed = 'a changed passphrase, logged nowhere'
  await postJson(
    t.app,
    '/api/auth/password/change',
    { currentPassword: newPassword, newPassword: changed },
    bearer(signedIn.accessToken),
  )
  const enrolment = (
    await postJson(t.app, '/api/auth/2fa/totp', { password: changed }, bearer(signedIn.accessToken))
  ).json()
  const confirmed = await postJson(
    t.app,
    '/api/auth/2fa/totp/confirm',
    { code: totpCode(enrolment.secret, t.clock()) },
    bearer(signedIn.accessToken),
  )
  const backupCodes = confirmed.json().backupCodes as string[]
  const challenge = (await login(t.app, user.email, changed)).json()
  await postJson(t.app, '/api/auth/2fa/verify', { mfaToken: challenge.mfaToken, code: 'zzzzz-zzzzz' })
  const second = (
    await postJson(t.app, '/api/auth/2fa/verify', { mfaToken: challenge.mfaToken, code: backupCodes[0] })
  ).json()
  secrets.push(verification, verification.split('.')[1] as string, reset, reset.split('.')[1] as string)
  secrets.push(newPassword, changed, enrolment.secret, challenge.mfaToken, challenge.mfaToken.split('.')[1])
  secrets.push(...backupCodes, ...backupCodes.map((code) => code.replace('-', '')))
  secrets.push(signedIn.accessToken, signedIn.refreshToken, second.accessToken, second.refreshToken)
  return secrets
}

/** Every secret a full flow hands out, plus the password, to look for afterwards. */
async function fullFlow(): Promise<string[]> {
  const secrets: string[] = []
  const user = await register(t.app, { headers: { 'user-agent': 'flow-test' } })
  secrets.push(user.password, user.refreshToken, user.accessToken)
  await me(t.app, user.accessToken)
  const first = (await refresh(t.app, user.refreshToken)).json()
  const again = (await refresh(t.app, user.refreshToken)).json() // within grace: same successor
  expect(again.refreshToken).toBe(first.refreshToken)
  const cookieRefresh = await t.app.inject({
    method: 'POST',
    url: '/api/auth/refresh',
    cookies: { refresh_token: first.refreshToken },
  })
  const second = cookieRefresh.json()
  secrets.push(first.refreshToken, first.accessToken, second.refreshToken, second.accessToken)
  t.clock.advance(60 * 1000)
  const reuse = await refresh(t.app, user.refreshToken) // reuse attack, logged as a warning
  expect(reuse.json().code).toBe('AUTH_API_TOKEN_REUSED')
  await login(t.app, user.email, 'wrong password, logged nowhere')
  secrets.push('wrong password, logged nowhere')
  const other = (await login(t.app, user.email, PASSWORD)).json()
  const third = (await login(t.app, user.email, PASSWORD)).json()
  secrets.push(other.refreshToken, other.accessToken, third.refreshToken, third.accessToken)
  await t.app.inject({ method: 'GET', url: '/api/auth/sessions', headers: bearer(other.accessToken) })
  await t.app.inject({
    method: 'POST',
    url: '/api/auth/logout',
    payload: { refreshToken: other.refreshToken },
  })
  await t.app.inject({ method: 'POST', url: '/api/auth/logout-all', headers: bearer(third.accessToken) })
  secrets.push(...(await accountFlow()))
  await t.app.backgroundTasks.drain()
  return secrets
}

describe('secrets stay secret', () => {
  it('leaves no raw refresh token, access token or password in any table after a full flow', async () => {
    const secrets = await fullFlow()
    const tables = await db.raw.query<{ name: string }>(
      "select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'",
    )
    expect(tables.map((table) => table.name)).toEqual(
      expect.arrayContaining(['refresh_tokens', 'sessions', 'audit_logs']),
    )
    let rowsScanned = 0
    for (const { name } of tables) {
      const rows = await db.raw.query<{ row: string }>(`select row_to_json(t)::text as row from "${name}" t`)
      for (const { row } of rows) {
        rowsScanned++
        for (const secret of secrets) expect(row.includes(secret), `${name} holds a secret`).toBe(false)
      }
    }
    expect(rowsScanned).toBeGreaterThan(10)
  })

  it('writes no password or token to the logs, even at debug level', async () => {
    const secrets = await fullFlow()
    const log = logLines.join('')
    expect(log).toContain('refresh token reuse')
    expect(log.length).toBeGreaterThan(1000)
    for (const secret of secrets) expect(log.includes(secret)).toBe(false)
  })
})
