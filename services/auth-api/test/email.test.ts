import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { openPoolConnections, type TestDb } from '@gatehouse/db-kit/testing'
import { eq } from 'drizzle-orm'
import { simpleParser } from 'mailparser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { emailVerificationTokens, users } from '../src/db/schema/index.ts'
import { auditEventsOf, bearer, login, PASSWORD, postJson, register, uniqueEmail } from './factories.ts'
import { openTestDb, startTestApp, type TestApp } from './fixtures.ts'
import { type CaughtMail, linkToken, type MailCatcher, startMailCatcher } from './mail-catcher.ts'
import { linkTokenOfEml } from './mail-files.ts'

let db: TestDb
let t: TestApp
let smtp: MailCatcher

beforeAll(async () => {
  db = await openTestDb()
  smtp = await startMailCatcher()
  t = await startTestApp(db, { env: { SMTP_URL: smtp.url, APP_URL: 'https://app.example.com' } })
})
afterAll(async () => {
  await t?.app.close()
  await smtp?.close()
  await db?.close()
})

const mailTo = (to: string, subject: RegExp) => (mail: CaughtMail) =>
  mail.to === to && subject.test(mail.subject)
const verify = (token: string, app = t.app) => postJson(app, '/api/auth/verify-email', { token })

describe('email verification', () => {
  it('mails a single-use link on sign-up that verifies the address, storing only its hash', async () => {
    const user = await register(t.app)
    expect(user.user.emailVerified).toBe(false)
    const mail = await smtp.waitFor(mailTo(user.email, /Confirm your email/))
    expect(mail.text).toContain('https://app.example.com/verify-email#token=')
    expect(mail.html).toContain('href="https://app.example.com/verify-email#token=')
    const token = linkToken(mail)

    const [stored] = await db.db
      .select()
      .from(emailVerificationTokens)
      .where(eq(emailVerificationTokens.userId, user.user.id))
    expect(stored?.purpose).toBe('verify')
    expect(stored?.expiresAt.getTime()).toBe(t.clock().getTime() + 24 * 3600 * 1000)
    expect(JSON.stringify(stored)).not.toContain(token.split('.')[1])

    const verified = await verify(token)
    expect(verified.statusCode).toBe(200)
    expect(verified.json()).toMatchObject({
      purpose: 'verify',
      user: { id: user.user.id, emailVerified: true },
    })
    const again = await verify(token)
    expect(again.statusCode).toBe(400)
    expect(again.json().code).toBe('AUTH_API_INVALID_TOKEN')
    expect(await auditEventsOf(db.db, user.user.id)).toEqual(
      expect.arrayContaining(['REGISTER', 'EMAIL_VERIFIED']),
    )
    const profile = await t.app.inject({
      method: 'GET',
      url: '/api/auth/me',
      headers: bearer(user.accessToken),
    })
    expect(profile.json().user.emailVerified).toBe(true)
  })

  it('refuses expired, tampered and malformed links alike, as 400 problems', async () => {
    const user = await register(t.app)
    const token = linkToken(await smtp.waitFor(mailTo(user.email, /Confirm your email/)))
    const [id, secret] = token.split('.') as [string, string]
    const flipped = `${id}.${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`
    for (const bad of [
      flipped,
      'garbage',
      `${id}.`,
      `${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}.${secret}`,
    ]) {
      const response = await verify(bad)
      expect(response.statusCode).toBe(400)
      expect(response.headers['content-type']).toContain('application/problem+json')
      expect(response.json().code).toBe('AUTH_API_INVALID_TOKEN')
    }
    const tooLong = await verify('x'.repeat(10_000))
    expect(tooLong.statusCode).toBe(400)
    expect(tooLong.json().code).toBe('AUTH_API_VALIDATION_FAILED')

    t.clock.advance(24 * 3600 * 1000 + 1000)
    const expired = await verify(token)
    expect(expired.json().code).toBe('AUTH_API_INVALID_TOKEN')
    const [stored] = await db.db.select().from(users).where(eq(users.id, user.user.id))
    expect(stored?.emailVerifiedAt).toBeNull()
  })

  it('resends only to unverified accounts, answering every address alike', async () => {
    const unverified = await register(t.app)
    await smtp.waitFor(mailTo(unverified.email, /Confirm your email/))
    const answers = await Promise.all(
      [unverified.email, uniqueEmail('nobody')].map((email) =>
        postJson(t.app, '/api/auth/verify-email/resend', { email }),
      ),
    )
    for (const answer of answers) expect(answer.statusCode).toBe(202)
    expect(answers[0]?.json()).toEqual(answers[1]?.json())
    await t.app.backgroundTasks.drain()
    const links = smtp.mails.filter(mailTo(unverified.email, /Confirm your email/))
    expect(links).toHaveLength(2)
    // Every link sent stays good until it expires or one of them is used.
    expect((await verify(linkToken(links[1] as CaughtMail))).statusCode).toBe(200)

    const before = smtp.mails.length
    await postJson(t.app, '/api/auth/verify-email/resend', { email: unverified.email })
    await t.app.backgroundTasks.drain()
    expect(smtp.mails.length).toBe(before)
  })

  it('limits resends per address with the shared 429', async () => {
    const limited = await startTestApp(db, {
      env: { SMTP_URL: smtp.url, RATE_LIMIT_MAIL_PER_ACCOUNT: '2' },
    })
    try {
      const email = uniqueEmail('flood')
      const statuses: number[] = []
      for (let i = 0; i < 3; i++)
        statuses.push((await postJson(limited.app, '/api/auth/verify-email/resend', { email })).statusCode)
      expect(statuses).toEqual([202, 202, 429])
      const refused = await postJson(limited.app, '/api/auth/verify-email/resend', {
        email: email.toUpperCase(),
      })
      expect(refused.json().code).toBe('AUTH_API_RATE_LIMITED')
      expect(refused.headers['ratelimit-policy']).toBe('"verify-resend-account";q=2;w=3600')
    } finally {
      await limited.app.close()
    }
  })
})

describe('REQUIRE_EMAIL_VERIFICATION=true', () => {
  it('opens no session at sign-up and refuses the right password until the link is opened', async () => {
    const strict = await startTestApp(db, { env: { SMTP_URL: smtp.url, REQUIRE_EMAIL_VERIFICATION: 'true' } })
    try {
      const email = uniqueEmail('strict')
      const signUp = await postJson(strict.app, '/api/auth/register', {
        email,
        name: 'Strict',
        password: PASSWORD,
        confirmPassword: PASSWORD,
      })
      expect(signUp.statusCode).toBe(201)
      expect(signUp.json()).toMatchObject({
        emailVerificationRequired: true,
        user: { email, emailVerified: false },
      })
      expect(signUp.json().accessToken).toBeUndefined()
      expect(signUp.headers['set-cookie']).toBeUndefined()

      const early = await login(strict.app, email, PASSWORD)
      expect(early.statusCode).toBe(403)
      expect(early.json().code).toBe('AUTH_API_EMAIL_NOT_VERIFIED')
      // A wrong password still gets the ordinary answer: the unverified state is only told to the owner.
      expect((await login(strict.app, email, 'not the password at all')).json().code).toBe(
        'AUTH_API_INVALID_CREDENTIALS',
      )

      const token = linkToken(await smtp.waitFor(mailTo(email, /Confirm your email/)))
      expect((await verify(token, strict.app)).statusCode).toBe(200)
      expect((await login(strict.app, email, PASSWORD)).statusCode).toBe(200)
    } finally {
      await strict.app.close()
    }
  })
})

describe('POST /api/auth/email/change', () => {
  it('changes the address only when the link mailed to the new one is opened, and tells the old one', async () => {
    const user = await register(t.app)
    const newEmail = uniqueEmail('moved')
    const change = (payload: object) =>
      postJson(t.app, '/api/auth/email/change', payload, bearer(user.accessToken))

    expect((await change({ newEmail })).json().code).toBe('AUTH_API_CURRENT_PASSWORD_INCORRECT')
    expect((await change({ newEmail, password: 'wrong password!!' })).statusCode).toBe(403)
    expect((await change({ newEmail: user.email, password: PASSWORD })).json().code).toBe(
      'AUTH_API_EMAIL_UNCHANGED',
    )
    const other = await register(t.app)
    expect((await change({ newEmail: other.email, password: PASSWORD })).json().code).toBe(
      'AUTH_API_EMAIL_TAKEN',
    )

    const requested = await change({ newEmail: newEmail.toUpperCase(), password: PASSWORD })
    expect(requested.statusCode).toBe(202)
    expect(requested.json().pendingEmail).toBe(newEmail)
    const notice = await smtp.waitFor(mailTo(user.email, /being changed/))
    expect(notice.text).toContain(newEmail)
    const link = await smtp.waitFor(mailTo(newEmail, /Confirm your new email/))
    const [before] = await db.db.select().from(users).where(eq(users.id, user.user.id))
    expect(before?.email).toBe(user.email)

    // A reset link mailed to the old address dies with the change.
    await postJson(t.app, '/api/auth/password-reset', { email: user.email })
    const reset = linkToken(await smtp.waitFor(mailTo(user.email, /Reset your password/)))

    const confirmed = await verify(linkToken(link))
    expect(confirmed.statusCode).toBe(200)
    expect(confirmed.json()).toMatchObject({
      purpose: 'change',
      user: { email: newEmail, emailVerified: true },
    })
    expect((await login(t.app, newEmail, PASSWORD)).statusCode).toBe(200)
    expect((await login(t.app, user.email, PASSWORD)).statusCode).toBe(401)
    const stale = await postJson(t.app, '/api/auth/password-reset/confirm', {
      token: reset,
      password: 'a brand new passphrase',
    })
    expect(stale.json().code).toBe('AUTH_API_INVALID_TOKEN')
    expect(await auditEventsOf(db.db, user.user.id)).toEqual(
      expect.arrayContaining(['PASSWORD_CONFIRMATION_FAILED', 'EMAIL_CHANGE_REQUESTED', 'EMAIL_CHANGED']),
    )
  })

  it('answers 409 when another account takes the address before the link is opened', async () => {
    const user = await register(t.app)
    const wanted = uniqueEmail('contested')
    await postJson(
      t.app,
      '/api/auth/email/change',
      { newEmail: wanted, password: PASSWORD },
      bearer(user.accessToken),
    )
    const link = linkToken(await smtp.waitFor(mailTo(wanted, /Confirm your new email/)))
    await register(t.app, { email: wanted })
    const confirmed = await verify(link)
    expect(confirmed.statusCode).toBe(409)
    expect(confirmed.json().code).toBe('AUTH_API_EMAIL_TAKEN')
    const [stored] = await db.db.select().from(users).where(eq(users.id, user.user.id))
    expect(stored?.email).toBe(user.email)
  })
})

describe('without SMTP_URL (the embedded default)', () => {
  it('writes each mail as an .eml file in the mail folder and logs where', async () => {
    const mailDir = mkdtempSync(join(tmpdir(), 'auth-api-mail-'))
    const lines: string[] = []
    const stream = new PassThrough()
    stream.on('data', (chunk: Buffer) => lines.push(chunk.toString()))
    const local = await startTestApp(db, { env: { MAIL_DIR: mailDir }, logger: { level: 'info', stream } })
    try {
      const user = await register(local.app)
      await local.app.backgroundTasks.drain()
      const files = readdirSync(mailDir).filter((name) => name.endsWith('.eml'))
      expect(files).toHaveLength(1)
      expect(files[0]).toContain(user.email)
      const eml = readFileSync(join(mailDir, files[0] as string))
      expect((await simpleParser(eml)).subject).toBe('Confirm your email address')
      const token = await linkTokenOfEml(eml)
      expect((await verify(token, local.app)).statusCode).toBe(200)
      const log = lines.join('')
      expect(log).toContain(`mail is written to files in ${mailDir}`)
      expect(log).toContain(`mail written to ${join(mailDir, files[0] as string)}`)
      expect(log).not.toContain(token.split('.')[1])
    } finally {
      await local.app.close()
      rmSync(mailDir, { recursive: true, force: true })
    }
  })
})

describe.runIf(process.env.TEST_DATABASE_URL)('verification link under concurrency (PostgreSQL)', () => {
  it('lets exactly one of two concurrent redemptions win', async () => {
    const user = await register(t.app)
    const token = linkToken(await smtp.waitFor(mailTo(user.email, /Confirm your email/)))
    await openPoolConnections(db, 2)
    const answers = await Promise.all([verify(token), verify(token)])
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 400])
    const verified = (await auditEventsOf(db.db, user.user.id)).filter((event) => event === 'EMAIL_VERIFIED')
    expect(verified).toHaveLength(1)
  })
})
