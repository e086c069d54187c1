import { openPoolConnections, type TestDb } from '@gatehouse/db-kit/testing'
import { revokedSessionsOf, SESSION_REVOKED_CHANNEL } from '@gatehouse/service-kit'
import { eq } from 'drizzle-orm'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { passwordResetTokens, users } from '../src/db/schema/index.ts'
import {
  auditEventsOf,
  bearer,
  login,
  me,
  PASSWORD,
  postJson,
  refresh,
  register,
  uniqueEmail,
} from './factories.ts'
import { CRON_SECRET, openTestDb, startTestApp, type TestApp } from './fixtures.ts'
import { type CaughtMail, linkToken, type MailCatcher, startMailCatcher } from './mail-catcher.ts'

let db: TestDb
let t: TestApp
let smtp: MailCatcher

beforeAll(async () => {
  db = await openTestDb()
  smtp = await startMailCatcher()
  t = await startTestApp(db, { env: { SMTP_URL: smtp.url, LOCKOUT_THRESHOLD: '3' } })
})
afterAll(async () => {
  await t?.app.close()
  await smtp?.close()
  await db?.close()
})

const NEW_PASSWORD = 'a completely new passphrase'
const resetMail = (to: string) => (mail: CaughtMail) =>
  mail.to === to && /Reset your password/.test(mail.subject)
const requestReset = (email: string) => postJson(t.app, '/api/auth/password-reset', { email })
const confirm = (token: string, password = NEW_PASSWORD) =>
  postJson(t.app, '/api/auth/password-reset/confirm', { token, password })

async function resetTokenFor(email: string): Promise<string> {
  const before = smtp.mails.filter(resetMail(email)).length
  await requestReset(email)
  await t.app.backgroundTasks.drain()
  const mails = smtp.mails.filter(resetMail(email))
  expect(mails).toHaveLength(before + 1)
  return linkToken(mails.at(-1) as CaughtMail)
}

describe('POST /api/auth/password-reset', () => {
  it('answers known and unknown emails alike, before any lookup or mail, and mails only the known one', async () => {
    const user = await register(t.app)
    const unknown = uniqueEmail('nobody')
    const release = smtp.hold()
    const known = await requestReset(user.email)
    const stranger = await requestReset(unknown)
    // Both answered while the SMTP server still sits on the message.
    expect(smtp.mails.some(resetMail(user.email))).toBe(false)
    expect(known.statusCode).toBe(202)
    expect(stranger.statusCode).toBe(202)
    expect(known.json()).toEqual(stranger.json())
    expect(known.headers['content-length']).toBe(stranger.headers['content-length'])
    release()
    await t.app.backgroundTasks.drain()

    const mail = smtp.mails.find(resetMail(user.email)) as CaughtMail
    expect(mail.text).toContain('/reset-password#token=')
    expect(mail.text).toContain('30 minutes')
    expect(smtp.mails.some((m) => m.to === unknown)).toBe(false)
    const rows = await db.db
      .select()
      .from(passwordResetTokens)
      .where(eq(passwordResetTokens.userId, user.user.id))
    expect(rows).toHaveLength(1)
    expect(rows[0]?.expiresAt.getTime()).toBe(t.clock().getTime() + 30 * 60 * 1000)
    expect(JSON.stringify(rows)).not.toContain(linkToken(mail).split('.')[1])
    expect(await auditEventsOf(db.db, user.user.id)).toContain('PASSWORD_RESET_REQUESTED')
  })

  it('sets the new password once, revokes every session, kills other links and clears the lockout', async () => {
    const user = await register(t.app)
    const laptop = (await login(t.app, user.email, PASSWORD)).json()
    const firstLink = await resetTokenFor(user.email)
    const token = await resetTokenFor(user.email)
    for (let i = 0; i < 3; i++) await login(t.app, user.email, 'wrong password!!')
    expect((await login(t.app, user.email, PASSWORD)).statusCode).toBe(401) // locked

    const weak = await confirm(token, 'password')
    expect(weak.statusCode).toBe(400)
    expect(weak.json().code).toBe('AUTH_API_WEAK_PASSWORD')
    expect(weak.json().errors[0].path).toBe('/body/password')

    const done = await confirm(token)
    expect(done.statusCode).toBe(200)
    expect(done.json()).toEqual({ revokedSessions: 2 })
    expect((await me(t.app, laptop.accessToken)).statusCode).toBe(401)
    expect((await refresh(t.app, user.refreshToken)).statusCode).toBe(401)
    expect((await confirm(token)).json().code).toBe('AUTH_API_INVALID_TOKEN')
    expect((await confirm(firstLink)).json().code).toBe('AUTH_API_INVALID_TOKEN')

    expect((await login(t.app, user.email, PASSWORD)).statusCode).toBe(401)
    const fresh = await login(t.app, user.email, NEW_PASSWORD)
    expect(fresh.statusCode).toBe(200)
    expect(fresh.json().user.emailVerified).toBe(true)
    await smtp.waitFor((mail) => mail.to === user.email && /password was changed/.test(mail.subject))
    expect(await auditEventsOf(db.db, user.user.id)).toEqual(
      expect.arrayContaining(['PASSWORD_RESET_REQUESTED', 'PASSWORD_RESET', 'ACCOUNT_LOCKED']),
    )
  })

  it('refuses a link after 30 minutes and a malformed one, as 400 problems', async () => {
    const user = await register(t.app)
    const token = await resetTokenFor(user.email)
    t.clock.advance(30 * 60 * 1000 + 1000)
    expect((await confirm(token)).json().code).toBe('AUTH_API_INVALID_TOKEN')
    for (const bad of ['', 'x'.repeat(300)]) {
      const response = await confirm(bad)
      expect(response.statusCode).toBe(400)
      expect(response.json().code).toBe('AUTH_API_VALIDATION_FAILED')
    }
    expect((await confirm('not.a-token')).json().code).toBe('AUTH_API_INVALID_TOKEN')
    expect((await login(t.app, user.email, PASSWORD)).statusCode).toBe(200)
  })
})

describe('password reset rate limit', () => {
  it('limits reset requests per address with the shared 429, known and unknown addresses alike', async () => {
    const limited = await startTestApp(db, { env: { SMTP_URL: smtp.url, RATE_LIMIT_MAIL_PER_ACCOUNT: '2' } })
    try {
      const known = (await register(limited.app)).email
      for (const email of [known, uniqueEmail('flood')]) {
        const statuses: number[] = []
        for (let i = 0; i < 3; i++)
          statuses.push((await postJson(limited.app, '/api/auth/password-reset', { email })).statusCode)
        expect([email, statuses]).toEqual([email, [202, 202, 429]])
      }
      const refused = await postJson(limited.app, '/api/auth/password-reset', { email: known.toUpperCase() })
      expect(refused.json().code).toBe('AUTH_API_RATE_LIMITED')
      expect(refused.headers['ratelimit-policy']).toBe('"password-reset-account";q=2;w=3600')
      await limited.app.backgroundTasks.drain()
      expect(smtp.mails.filter(resetMail(known))).toHaveLength(2)
    } finally {
      await limited.app.close()
    }
  })
})

describe('the daily cleanup', () => {
  it('deletes used and expired reset links, keeping live ones', async () => {
    const user = await register(t.app)
    const used = await resetTokenFor(user.email)
    expect((await confirm(used)).statusCode).toBe(200)
    await resetTokenFor(user.email)
    const rows = () =>
      db.db.select().from(passwordResetTokens).where(eq(passwordResetTokens.userId, user.user.id))
    expect(await rows()).toHaveLength(2)
    const cleanup = await t.app.inject({
      method: 'POST',
      url: '/api/admin/cleanup-sessions',
      headers: { authorization: `Bearer ${CRON_SECRET}` },
    })
    expect(cleanup.statusCode).toBe(200)
    const [live] = await rows()
    expect(await rows()).toHaveLength(1)
    expect(live?.usedAt).toBeNull()
  })
})

describe('POST /api/auth/password/change', () => {
  it('needs the current password, keeps this session and signs out the others', async () => {
    const user = await register(t.app)
    const phone = (await login(t.app, user.email, PASSWORD)).json()
    const change = (payload: object) =>
      postJson(t.app, '/api/auth/password/change', payload, bearer(user.accessToken))

    const wrong = await change({ currentPassword: 'wrong password!!', newPassword: NEW_PASSWORD })
    expect(wrong.statusCode).toBe(403)
    expect(wrong.json().code).toBe('AUTH_API_CURRENT_PASSWORD_INCORRECT')
    const [counted] = await db.db.select().from(users).where(eq(users.id, user.user.id))
    expect(counted?.failedLoginCount).toBe(1)
    const weak = await change({ currentPassword: PASSWORD, newPassword: '12345678' })
    expect(weak.json().errors[0].path).toBe('/body/newPassword')

    const changed = await change({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD })
    expect(changed.statusCode).toBe(200)
    expect(changed.json()).toEqual({ revokedSessions: 1 })
    expect((await me(t.app, user.accessToken)).statusCode).toBe(200)
    expect((await me(t.app, phone.accessToken)).statusCode).toBe(401)
    expect((await login(t.app, user.email, NEW_PASSWORD)).statusCode).toBe(200)
    expect(await auditEventsOf(db.db, user.user.id)).toEqual(
      expect.arrayContaining(['PASSWORD_CONFIRMATION_FAILED', 'PASSWORD_CHANGED']),
    )
    await smtp.waitFor((mail) => mail.to === user.email && /password was changed/.test(mail.subject))
  })

  it('counts wrong current passwords towards the lockout', async () => {
    const user = await register(t.app)
    const change = (currentPassword: string) =>
      postJson(
        t.app,
        '/api/auth/password/change',
        { currentPassword, newPassword: NEW_PASSWORD },
        bearer(user.accessToken),
      )
    for (let i = 0; i < 3; i++) expect((await change('wrong password!!')).statusCode).toBe(403)
    // Locked now: even the right one is refused, and the login too.
    expect((await change(PASSWORD)).statusCode).toBe(403)
    expect((await login(t.app, user.email, PASSWORD)).statusCode).toBe(401)
  })

  it('asks for authentication', async () => {
    const response = await postJson(t.app, '/api/auth/password/change', {
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
    })
    expect(response.statusCode).toBe(401)
    expect(response.json().code).toBe('AUTH_API_UNAUTHENTICATED')
  })
})

describe.runIf(process.env.TEST_DATABASE_URL)('reset link under concurrency (PostgreSQL)', () => {
  it('lets exactly one of two concurrent confirmations win', async () => {
    const user = await register(t.app)
    const token = await resetTokenFor(user.email)
    await openPoolConnections(db, 2)
    const answers = await Promise.all([
      confirm(token, NEW_PASSWORD),
      confirm(token, 'another new passphrase'),
    ])
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 400])
    const winner = answers[0]?.statusCode === 200 ? NEW_PASSWORD : 'another new passphrase'
    expect((await login(t.app, user.email, winner)).statusCode).toBe(200)
    const resets = (await auditEventsOf(db.db, user.user.id)).filter((event) => event === 'PASSWORD_RESET')
    expect(resets).toHaveLength(1)
  })
})

describe.runIf(process.env.REDIS_URL)('revocations reach the gateway (Redis)', () => {
  it('publishes the sessions a reset and a change ended', async () => {
    const withRedis = await startTestApp(db, {
      env: { SMTP_URL: smtp.url, REDIS_URL: process.env.REDIS_URL as string },
    })
    const listener = new Redis(process.env.REDIS_URL as string)
    const messages: string[][] = []
    listener.on('message', (_channel, message: string) => messages.push(revokedSessionsOf(message)))
    await listener.subscribe(SESSION_REVOKED_CHANNEL)
    try {
      const user = await register(withRedis.app)
      const other = (await login(withRedis.app, user.email, PASSWORD)).json()
      const changed = await postJson(
        withRedis.app,
        '/api/auth/password/change',
        { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
        bearer(user.accessToken),
      )
      expect(changed.json()).toEqual({ revokedSessions: 1 })
      await postJson(withRedis.app, '/api/auth/password-reset', { email: user.email })
      await withRedis.app.backgroundTasks.drain()
      const token = linkToken(smtp.mails.filter(resetMail(user.email)).at(-1) as CaughtMail)
      const reset = await postJson(withRedis.app, '/api/auth/password-reset/confirm', {
        token,
        password: 'the passphrase after the reset',
      })
      expect(reset.json()).toEqual({ revokedSessions: 1 })
      const deadline = Date.now() + 5000
      while (messages.length < 2 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20))
      expect(messages).toEqual([[other.sessionId], [user.sessionId]])
    } finally {
      listener.disconnect()
      await withRedis.app.close()
    }
  })
})
