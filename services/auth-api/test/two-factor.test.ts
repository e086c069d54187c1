import { openPoolConnections, type TestDb } from '@gatehouse/db-kit/testing'
import { createTestClock, SERVICE_TOKEN_HEADER, signServiceToken } from '@gatehouse/service-kit'
import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditLogs, twoFactorBackupCodes, users } from '../src/db/schema/index.ts'
import { createTwoFactorSecretBox } from '../src/two-factor/secret-box.ts'
import { totpCode, totpStep } from '../src/two-factor/totp.ts'
import { auditEventsOf, bearer, login, me, PASSWORD, postJson, register } from './factories.ts'
import {
  INTERNAL_SECRET,
  openTestDb,
  startTestApp,
  type TestApp,
  TWO_FACTOR_ENCRYPTION_KEY,
} from './fixtures.ts'
import { qrCodeText } from './qr.ts'

let db: TestDb
let t: TestApp

beforeAll(async () => {
  db = await openTestDb()
  // Start on a step boundary, so "the next step" is exactly 30 s away.
  t = await startTestApp(db, { clock: createTestClock(new Date('2030-01-01T00:00:00Z')) })
})
afterAll(async () => {
  await t?.app.close()
  await db?.close()
})

const STEP_MS = 30_000

async function enroll(user: { accessToken: string }, app = t.app) {
  const started = await postJson(app, '/api/auth/2fa/totp', { password: PASSWORD }, bearer(user.accessToken))
  expect(started.statusCode).toBe(201)
  return started.json() as { secret: string; otpauthUri: string; qrCode: string }
}

/** A user with two-factor on: its secret and backup codes. */
async function userWithTwoFactor() {
  const user = await register(t.app)
  const { secret } = await enroll(user)
  const confirmed = await postJson(
    t.app,
    '/api/auth/2fa/totp/confirm',
    { code: totpCode(secret, t.clock()) },
    bearer(user.accessToken),
  )
  expect(confirmed.statusCode).toBe(200)
  // The enrolment used this step's code: the tests sign in from the next one.
  t.clock.advance(STEP_MS)
  return { ...user, secret, backupCodes: confirmed.json().backupCodes as string[] }
}

async function passwordStep(email: string) {
  const response = await login(t.app, email, PASSWORD)
  expect(response.statusCode).toBe(200)
  return response
}

const verify = (mfaToken: string, code: string) => postJson(t.app, '/api/auth/2fa/verify', { mfaToken, code })

describe('TOTP enrolment', () => {
  it('answers an otpauth URI and its QR code, stores the secret only encrypted, and needs the password', async () => {
    const user = await register(t.app)
    const noPassword = await postJson(t.app, '/api/auth/2fa/totp', {}, bearer(user.accessToken))
    expect(noPassword.json().code).toBe('AUTH_API_CURRENT_PASSWORD_INCORRECT')

    const { secret, otpauthUri, qrCode } = await enroll(user)
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    const uri = new URL(otpauthUri)
    expect(uri.protocol).toBe('otpauth:')
    expect(uri.host).toBe('totp')
    expect(decodeURIComponent(uri.pathname)).toBe(`/Gatehouse:${user.email}`)
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      issuer: 'Gatehouse',
      secret,
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    })
    expect(qrCode).toMatch(/^data:image\/png;base64,/)
    expect(qrCodeText(qrCode)).toBe(otpauthUri)

    const [stored] = await db.db.select().from(users).where(eq(users.id, user.user.id))
    expect(stored?.twoFactorSecret).toMatch(/^v1\.[0-9a-f]{8}\./)
    expect(stored?.twoFactorSecret).not.toContain(secret)
    expect(stored?.twoFactorEnabledAt).toBeNull()
    const status = await t.app.inject({
      method: 'GET',
      url: '/api/auth/2fa',
      headers: bearer(user.accessToken),
    })
    expect(status.json()).toEqual({
      enabled: false,
      enabledAt: null,
      enrollmentPending: true,
      backupCodesRemaining: 0,
    })
    // Not on until confirmed: the password alone still signs in.
    expect((await login(t.app, user.email, PASSWORD)).json().accessToken).toBeDefined()
  })

  it('turns on with a first valid code and answers ten backup codes, stored only hashed', async () => {
    const user = await register(t.app)
    const { secret } = await enroll(user)
    const wrong = await postJson(
      t.app,
      '/api/auth/2fa/totp/confirm',
      { code: '000000' },
      bearer(user.accessToken),
    )
    expect(wrong.statusCode).toBe(401)
    expect(wrong.json().code).toBe('AUTH_API_INVALID_TWO_FACTOR_CODE')

    const confirmed = await postJson(
      t.app,
      '/api/auth/2fa/totp/confirm',
      { code: totpCode(secret, t.clock()) },
      bearer(user.accessToken),
    )
    expect(confirmed.statusCode).toBe(200)
    const { backupCodes } = confirmed.json()
    expect(backupCodes).toHaveLength(10)
    expect(new Set(backupCodes).size).toBe(10)
    for (const code of backupCodes) expect(code).toMatch(/^[2-9a-z]{5}-[2-9a-z]{5}$/)
    const rows = await db.db
      .select()
      .from(twoFactorBackupCodes)
      .where(eq(twoFactorBackupCodes.userId, user.user.id))
    expect(rows).toHaveLength(10)
    for (const code of backupCodes) expect(JSON.stringify(rows)).not.toContain(code.replace('-', ''))

    const again = await postJson(
      t.app,
      '/api/auth/2fa/totp',
      { password: PASSWORD },
      bearer(user.accessToken),
    )
    expect(again.json().code).toBe('AUTH_API_TWO_FACTOR_ALREADY_ENABLED')
    const status = await t.app.inject({
      method: 'GET',
      url: '/api/auth/2fa',
      headers: bearer(user.accessToken),
    })
    expect(status.json()).toMatchObject({ enabled: true, enrollmentPending: false, backupCodesRemaining: 10 })
    expect(await auditEventsOf(db.db, user.user.id)).toEqual(
      expect.arrayContaining(['TWO_FACTOR_ENROLLMENT_STARTED', 'TWO_FACTOR_FAILED', 'TWO_FACTOR_ENABLED']),
    )
  })

  it('follows RFC 6238 (the RFC’s SHA-1 test vector, last six digits)', () => {
    const rfcSecret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' // "12345678901234567890"
    expect(totpStep(rfcSecret, '287082', new Date(59_000))).toBe(1)
    expect(totpStep(rfcSecret, '081804', new Date(1_111_111_109_000))).toBe(37_037_036)
    expect(totpStep(rfcSecret, '287082', new Date(59_000 + 3 * STEP_MS))).toBeUndefined()
  })
})

describe('two-step login', () => {
  it('answers a challenge instead of a grant, and the code turns it into a session', async () => {
    const user = await userWithTwoFactor()
    const first = await passwordStep(user.email)
    const challenge = first.json()
    expect(challenge).toMatchObject({ mfaRequired: true, methods: ['totp', 'backup_code'] })
    expect(challenge.accessToken).toBeUndefined()
    expect(first.headers['set-cookie']).toBeUndefined()
    expect(new Date(challenge.mfaExpiresAt).getTime()).toBe(t.clock().getTime() + 300_000)

    const done = await verify(challenge.mfaToken, totpCode(user.secret, t.clock()))
    expect(done.statusCode).toBe(200)
    const grant = done.json()
    expect(grant.user.id).toBe(user.user.id)
    expect(String(done.headers['set-cookie'])).toContain(`refresh_token=${grant.refreshToken}`)
    expect((await me(t.app, grant.accessToken)).statusCode).toBe(200)
    // The challenge is spent.
    expect((await verify(challenge.mfaToken, user.backupCodes[0] as string)).json().code).toBe(
      'AUTH_API_MFA_CHALLENGE_INVALID',
    )
    expect(await auditEventsOf(db.db, user.user.id)).toContain('TWO_FACTOR_CHALLENGE_ISSUED')
  })

  it('refuses a code replayed within its window, and takes one step of drift either way', async () => {
    const user = await userWithTwoFactor()
    const code = totpCode(user.secret, t.clock())
    expect((await verify((await passwordStep(user.email)).json().mfaToken, code)).statusCode).toBe(200)
    const replay = await verify((await passwordStep(user.email)).json().mfaToken, code)
    expect(replay.statusCode).toBe(401)
    expect(replay.json().code).toBe('AUTH_API_INVALID_TWO_FACTOR_CODE')

    // A phone running 30 s fast: next step's code is good now.
    const ahead = totpCode(user.secret, new Date(t.clock().getTime() + STEP_MS))
    expect((await verify((await passwordStep(user.email)).json().mfaToken, ahead)).statusCode).toBe(200)
    t.clock.advance(3 * STEP_MS)
    // A phone 30 s slow, after the accepted step has passed.
    const behind = totpCode(user.secret, new Date(t.clock().getTime() - STEP_MS))
    expect((await verify((await passwordStep(user.email)).json().mfaToken, behind)).statusCode).toBe(200)
    const tooOld = totpCode(user.secret, new Date(t.clock().getTime() - 2 * STEP_MS))
    expect((await verify((await passwordStep(user.email)).json().mfaToken, tooOld)).statusCode).toBe(401)
  })

  it('takes each backup code once', async () => {
    const user = await userWithTwoFactor()
    const code = (user.backupCodes[3] as string).toUpperCase().replace('-', ' ')
    expect((await verify((await passwordStep(user.email)).json().mfaToken, code)).statusCode).toBe(200)
    expect((await verify((await passwordStep(user.email)).json().mfaToken, code)).statusCode).toBe(401)
    const status = await t.app.inject({
      method: 'GET',
      url: '/api/auth/2fa',
      headers: bearer(user.accessToken),
    })
    expect(status.json().backupCodesRemaining).toBe(9)
    expect(await auditEventsOf(db.db, user.user.id)).toContain('BACKUP_CODE_USED')
  })

  it('lets a challenge expire after five minutes and refuses anything that is not one', async () => {
    const user = await userWithTwoFactor()
    const { mfaToken } = (await passwordStep(user.email)).json()
    t.clock.advance(300_000 + 1000)
    const late = await verify(mfaToken, totpCode(user.secret, t.clock()))
    expect(late.statusCode).toBe(401)
    expect(late.json().code).toBe('AUTH_API_MFA_CHALLENGE_INVALID')
    for (const token of ['x', `${mfaToken}x`, user.refreshToken]) {
      const response = await verify(token, '123456')
      expect(response.statusCode).toBe(401)
      expect(response.json().code).toBe('AUTH_API_MFA_CHALLENGE_INVALID')
    }
    const noToken = await postJson(t.app, '/api/auth/2fa/verify', { code: '123456' })
    expect(noToken.json().code).toBe('AUTH_API_MFA_CHALLENGE_INVALID')
    const badCode = await postJson(t.app, '/api/auth/2fa/verify', { mfaToken, code: 'x' })
    expect(badCode.json().code).toBe('AUTH_API_VALIDATION_FAILED')
  })

  it('locks codes after five failures with their own counter, whatever is typed, until the lock ends', async () => {
    const user = await userWithTwoFactor()
    const { mfaToken } = (await passwordStep(user.email)).json()
    for (let i = 0; i < 5; i++) expect((await verify(mfaToken, '000000')).statusCode).toBe(401)
    const locked = await verify(mfaToken, totpCode(user.secret, t.clock()))
    expect(locked.statusCode).toBe(423)
    expect(locked.json().code).toBe('AUTH_API_TWO_FACTOR_LOCKED')
    expect(locked.headers['retry-after']).toBe('300')
    expect((await verify(mfaToken, user.backupCodes[0] as string)).statusCode).toBe(423)
    const [stored] = await db.db.select().from(users).where(eq(users.id, user.user.id))
    expect(stored).toMatchObject({ twoFactorFailedCount: 5, failedLoginCount: 0 })

    t.clock.advance(240_000)
    const { mfaToken: fresh } = (await passwordStep(user.email)).json()
    expect((await verify(fresh, totpCode(user.secret, t.clock()))).statusCode).toBe(423)
    t.clock.advance(61_000)
    expect((await verify(fresh, totpCode(user.secret, t.clock()))).statusCode).toBe(200)
    const events = await auditEventsOf(db.db, user.user.id)
    expect(events.filter((event) => event === 'TWO_FACTOR_FAILED')).toHaveLength(5)
    expect(events).toContain('TWO_FACTOR_LOCKED')
  })
})

describe('which sign-ins ask for the second factor (README: Two-factor)', () => {
  it('asks at password login, and not at a QR approval: the approving phone already passed it', async () => {
    const user = await userWithTwoFactor()
    expect((await passwordStep(user.email)).json()).toMatchObject({ mfaRequired: true })
    const token = await signServiceToken(INTERNAL_SECRET, { issuer: 'qr-auth', audience: 'auth-api' })
    const approved = await t.app.inject({
      method: 'POST',
      url: '/internal/sessions',
      headers: { [SERVICE_TOKEN_HEADER]: token },
      payload: { userId: user.user.id },
    })
    expect(approved.statusCode).toBe(201)
    expect((await me(t.app, approved.json().accessToken)).json().user.id).toBe(user.user.id)
  })
})

describe('managing two-factor', () => {
  it('disables with the password and a code, after which the password alone signs in again', async () => {
    const user = await userWithTwoFactor()
    const disable = (payload: object) =>
      t.app.inject({
        method: 'DELETE',
        url: '/api/auth/2fa/totp',
        payload,
        headers: bearer(user.accessToken),
      })
    expect((await disable({ code: totpCode(user.secret, t.clock()) })).statusCode).toBe(403)
    expect((await disable({ password: PASSWORD, code: '000000' })).statusCode).toBe(401)
    expect(
      (await disable({ password: 'wrong password!!', code: totpCode(user.secret, t.clock()) })).statusCode,
    ).toBe(403)
    expect((await disable({ password: PASSWORD, code: totpCode(user.secret, t.clock()) })).statusCode).toBe(
      204,
    )
    expect((await login(t.app, user.email, PASSWORD)).json().accessToken).toBeDefined()
    const [stored] = await db.db.select().from(users).where(eq(users.id, user.user.id))
    expect(stored).toMatchObject({ twoFactorSecret: null, twoFactorEnabledAt: null })
    expect(
      await db.db.select().from(twoFactorBackupCodes).where(eq(twoFactorBackupCodes.userId, user.user.id)),
    ).toEqual([])
    expect(await auditEventsOf(db.db, user.user.id)).toContain('TWO_FACTOR_DISABLED')
  })

  it('replaces the backup codes: the old ones stop working', async () => {
    const user = await userWithTwoFactor()
    const renewed = await postJson(
      t.app,
      '/api/auth/2fa/backup-codes',
      { code: user.backupCodes[0] as string },
      bearer(user.accessToken),
    )
    expect(renewed.statusCode).toBe(200)
    const fresh = renewed.json().backupCodes as string[]
    expect(fresh).toHaveLength(10)
    expect(
      (await verify((await passwordStep(user.email)).json().mfaToken, user.backupCodes[1] as string))
        .statusCode,
    ).toBe(401)
    expect(
      (await verify((await passwordStep(user.email)).json().mfaToken, fresh[1] as string)).statusCode,
    ).toBe(200)
  })

  it('reads secrets sealed under TWO_FACTOR_ENCRYPTION_KEY_PREVIOUS and re-seals them under the new key', async () => {
    const user = await userWithTwoFactor()
    const rotated = await startTestApp(db, {
      clock: t.clock,
      env: {
        TWO_FACTOR_ENCRYPTION_KEY: 'the-next-two-factor-key-0123456789abcd',
        TWO_FACTOR_ENCRYPTION_KEY_PREVIOUS: TWO_FACTOR_ENCRYPTION_KEY,
      },
    })
    try {
      const { mfaToken } = (await login(rotated.app, user.email, PASSWORD)).json()
      const done = await postJson(rotated.app, '/api/auth/2fa/verify', {
        mfaToken,
        code: totpCode(user.secret, t.clock()),
      })
      expect(done.statusCode).toBe(200)
      const [stored] = await db.db.select().from(users).where(eq(users.id, user.user.id))
      const newBox = createTwoFactorSecretBox({ current: 'the-next-two-factor-key-0123456789abcd' })
      expect(newBox.open(user.user.id, stored?.twoFactorSecret as string)).toEqual({
        secret: user.secret,
        current: true,
      })
      // Backup codes hashed under the old key still count.
      t.clock.advance(STEP_MS)
      const { mfaToken: next } = (await login(rotated.app, user.email, PASSWORD)).json()
      const backup = await postJson(rotated.app, '/api/auth/2fa/verify', {
        mfaToken: next,
        code: user.backupCodes[5],
      })
      expect(backup.statusCode).toBe(200)
    } finally {
      await rotated.app.close()
    }
  })

  it('answers 503 when no key is configured, and a sealed secret opens for its own user only', async () => {
    const keyless = await startTestApp(db, { env: { TWO_FACTOR_ENCRYPTION_KEY: '' } })
    try {
      const user = await register(keyless.app)
      const response = await postJson(
        keyless.app,
        '/api/auth/2fa/totp',
        { password: PASSWORD },
        bearer(user.accessToken),
      )
      expect(response.statusCode).toBe(503)
      expect(response.json().code).toBe('AUTH_API_TWO_FACTOR_UNAVAILABLE')
    } finally {
      await keyless.app.close()
    }
    const box = createTwoFactorSecretBox({ current: TWO_FACTOR_ENCRYPTION_KEY })
    const sealed = box.seal('user-a', 'JBSWY3DPEHPK3PXP')
    expect(box.open('user-a', sealed)?.secret).toBe('JBSWY3DPEHPK3PXP')
    expect(box.open('user-b', sealed)).toBeUndefined()
  })
})

describe.runIf(process.env.TEST_DATABASE_URL)('two-factor under concurrency (PostgreSQL)', () => {
  it('opens one session for two concurrent redemptions of one challenge, and spends only the winner’s code', async () => {
    const user = await userWithTwoFactor()
    const { mfaToken } = (await passwordStep(user.email)).json()
    const codes = { totp: totpCode(user.secret, t.clock()), backup_code: user.backupCodes[0] as string }
    await openPoolConnections(db, 2)
    const answers = await Promise.all([verify(mfaToken, codes.totp), verify(mfaToken, codes.backup_code)])
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 401])
    expect(answers.find((answer) => answer.statusCode === 401)?.json().code).toBe(
      'AUTH_API_MFA_CHALLENGE_INVALID',
    )
    const logins = await db.db
      .select({ details: auditLogs.details })
      .from(auditLogs)
      .where(and(eq(auditLogs.userId, user.user.id), eq(auditLogs.eventType, 'LOGIN_SUCCESS')))
    expect(logins).toHaveLength(1)
    // The losing request found the challenge spent before checking its code: that code still signs in.
    const won = (logins[0]?.details as { secondFactor?: string } | undefined)?.secondFactor
    const unspent = won === 'totp' ? codes.backup_code : codes.totp
    expect((await verify((await passwordStep(user.email)).json().mfaToken, unspent)).statusCode).toBe(200)
  })

  it('spends one backup code once across two concurrent challenges', async () => {
    const user = await userWithTwoFactor()
    const first = (await passwordStep(user.email)).json().mfaToken
    const second = (await passwordStep(user.email)).json().mfaToken
    const code = user.backupCodes[2] as string
    await openPoolConnections(db, 2)
    const answers = await Promise.all([verify(first, code), verify(second, code)])
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 401])
    const rows = await db.db
      .select()
      .from(twoFactorBackupCodes)
      .where(eq(twoFactorBackupCodes.userId, user.user.id))
    expect(rows.filter((row) => row.usedAt !== null)).toHaveLength(1)
  })

  it('accepts one TOTP code once across two concurrent challenges', async () => {
    const user = await userWithTwoFactor()
    const first = (await passwordStep(user.email)).json().mfaToken
    const second = (await passwordStep(user.email)).json().mfaToken
    const code = totpCode(user.secret, t.clock())
    await openPoolConnections(db, 2)
    const answers = await Promise.all([verify(first, code), verify(second, code)])
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 401])
  })
})
