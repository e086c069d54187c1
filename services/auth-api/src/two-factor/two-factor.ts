import { safeEqual } from '@gatehouse/crypto'
import type { Database } from '@gatehouse/db-kit'
import { and, count, eq, isNull, lt, or, sql } from 'drizzle-orm'
import { type AuditEntry, type ClientInfo, recordAudit } from '../audit.ts'
import { twoFactorBackupCodes, type User, users } from '../db/schema/index.ts'
import { errors } from '../errors.ts'
import { type LockoutPolicy, lockedUntilAfterFailure, TWO_FACTOR_FAILURES } from '../lockout.ts'
import { newBackupCodes, normalizeBackupCode } from './backup-codes.ts'
import type { TwoFactorSecretBox } from './secret-box.ts'
import { newTotpSecret, totpStep, totpUri } from './totp.ts'

export interface TwoFactorDeps {
  /** undefined without TWO_FACTOR_ENCRYPTION_KEY: every two-factor operation answers 503. */
  box: TwoFactorSecretBox | undefined
  lockout: LockoutPolicy
  /** The issuer label shown in authenticator apps. */
  issuer: string
}

export type SecondFactor = 'totp' | 'backup_code'

interface Acting {
  user: User
  now: Date
  client: ClientInfo
}

function boxOf(deps: TwoFactorDeps): TwoFactorSecretBox {
  if (!deps.box) throw errors.TWO_FACTOR_UNAVAILABLE('Two-factor authentication is not configured here.')
  return deps.box
}

export const isTwoFactorEnabled = (user: User) =>
  user.twoFactorEnabledAt !== null && user.twoFactorSecret !== null

/** A fresh secret, sealed into `two_factor_secret`; it counts only once confirmed by a first valid code. */
export async function startTotpEnrollment(
  db: Database,
  deps: TwoFactorDeps,
  { user, now, client }: Acting,
): Promise<{ secret: string; uri: string }> {
  const box = boxOf(deps)
  if (isTwoFactorEnabled(user))
    throw errors.TWO_FACTOR_ALREADY_ENABLED('Disable two-factor authentication before enrolling again.')
  const secret = newTotpSecret()
  // Conditional: a concurrent confirmation that just enabled 2FA is not overwritten.
  const [started] = await db
    .update(users)
    .set({ twoFactorSecret: box.seal(user.id, secret), twoFactorLastStep: null, updatedAt: now })
    .where(and(eq(users.id, user.id), isNull(users.twoFactorEnabledAt)))
    .returning({ id: users.id })
  if (!started) throw errors.TWO_FACTOR_ALREADY_ENABLED('Two-factor authentication was enabled meanwhile.')
  await recordAudit(db, { event: 'TWO_FACTOR_ENROLLMENT_STARTED', at: now, client, userId: user.id })
  return { secret, uri: totpUri(secret, deps.issuer, user.email) }
}

/** The first valid code turns two-factor on; answers the ten backup codes, shown this once. */
export async function confirmTotpEnrollment(
  db: Database,
  deps: TwoFactorDeps,
  input: Acting & { code: string },
): Promise<string[]> {
  const { user, now, client } = input
  const box = boxOf(deps)
  if (isTwoFactorEnabled(user)) throw errors.TWO_FACTOR_ALREADY_ENABLED('Two-factor authentication is on.')
  const opened = user.twoFactorSecret ? box.open(user.id, user.twoFactorSecret) : undefined
  if (!opened) throw errors.TWO_FACTOR_NOT_PENDING('Start the enrolment with POST /api/auth/2fa/totp.')
  assertNotLocked(user, now)
  const step = totpStep(opened.secret, input.code.replace(/\s/g, ''), now)
  if (step === undefined) {
    await recordCodeFailure(db, deps, input, 'wrong_code')
    throw errors.INVALID_TWO_FACTOR_CODE('The code does not match; check the authenticator app’s clock.')
  }
  const codes = newBackupCodes()
  await db.transaction(async (tx) => {
    const [enabled] = await tx
      .update(users)
      .set({
        twoFactorEnabledAt: now,
        twoFactorLastStep: step,
        twoFactorFailedCount: 0,
        twoFactorLockedUntil: null,
        updatedAt: now,
      })
      .where(
        and(
          eq(users.id, user.id),
          isNull(users.twoFactorEnabledAt),
          eq(users.twoFactorSecret, user.twoFactorSecret as string),
        ),
      )
      .returning({ id: users.id })
    if (!enabled) throw errors.TWO_FACTOR_NOT_PENDING('The enrolment changed meanwhile; start again.')
    await replaceBackupCodes(tx, box, user.id, codes, now)
    await recordAudit(tx, { event: 'TWO_FACTOR_ENABLED', at: now, client, userId: user.id })
  })
  return codes
}

/** A code's verdict: the factor it proved, or why it was refused (not yet counted as a failure). */
export type CodeCheck = { ok: true; factor: SecondFactor } | { ok: false; reason: string }

/**
 * A TOTP code (not one of a time step already used: replay protection in one conditional UPDATE) or an unused
 * backup code (spent in one conditional UPDATE). A refusal is only answered, not counted: the caller counts it
 * with `rejectCode`, outside any transaction it runs this in (a rolled-back failure would not count).
 */
export async function checkSecondFactor(
  db: Database,
  deps: TwoFactorDeps,
  input: Acting & { code: string },
): Promise<CodeCheck> {
  const { user, now, client } = input
  const box = boxOf(deps)
  if (!isTwoFactorEnabled(user)) throw errors.TWO_FACTOR_NOT_ENABLED('Two-factor authentication is off.')
  assertNotLocked(user, now)
  const opened = box.open(user.id, user.twoFactorSecret as string)
  if (!opened) throw errors.TWO_FACTOR_UNAVAILABLE('The two-factor key cannot open this account’s secret.')
  const code = input.code.replace(/\s/g, '')

  let reason = 'wrong_code'
  const step = totpStep(opened.secret, code, now)
  if (step !== undefined) {
    const [accepted] = await db
      .update(users)
      .set({
        twoFactorLastStep: step,
        twoFactorFailedCount: 0,
        twoFactorLockedUntil: null,
        // Sealed under the previous key: re-sealed under the current one now that it is open.
        ...(opened.current ? {} : { twoFactorSecret: box.seal(user.id, opened.secret) }),
      })
      .where(
        and(eq(users.id, user.id), or(isNull(users.twoFactorLastStep), lt(users.twoFactorLastStep, step))),
      )
      .returning({ id: users.id })
    if (accepted) return { ok: true, factor: 'totp' }
    reason = 'replayed_code'
  }
  const backupCode = normalizeBackupCode(code)
  if (backupCode) {
    const spent = await spendBackupCode(db, box, user.id, backupCode, now)
    if (spent !== undefined) {
      await db
        .update(users)
        .set({ twoFactorFailedCount: 0, twoFactorLockedUntil: null })
        .where(eq(users.id, user.id))
      await recordAudit(db, {
        event: 'BACKUP_CODE_USED',
        at: now,
        client,
        userId: user.id,
        details: { remaining: spent },
      })
      return { ok: true, factor: 'backup_code' }
    }
    reason = 'unknown_backup_code'
  }
  return { ok: false, reason }
}

/** Counts a refused code towards the two-factor lockout, and answers the refusal. */
export async function rejectCode(
  db: Database,
  deps: TwoFactorDeps,
  acting: Acting,
  reason: string,
): Promise<never> {
  await recordCodeFailure(db, deps, acting, reason)
  throw errors.INVALID_TWO_FACTOR_CODE('The code is wrong, already used, or from another time step.')
}

/** checkSecondFactor, a refusal counted and thrown. Wrong, replayed and spent codes count towards the lockout. */
export async function verifySecondFactor(
  db: Database,
  deps: TwoFactorDeps,
  input: Acting & { code: string },
): Promise<SecondFactor> {
  const checked = await checkSecondFactor(db, deps, input)
  if (checked.ok) return checked.factor
  return rejectCode(db, deps, input, checked.reason)
}

/** Turns two-factor off (the caller has checked the password); the secret and the backup codes are deleted. */
export async function disableTwoFactor(
  db: Database,
  deps: TwoFactorDeps,
  input: Acting & { code: string },
): Promise<void> {
  const secondFactor = await verifySecondFactor(db, deps, input)
  const { user, now, client } = input
  await db.transaction(async (tx) => {
    await tx
      .update(users)
      .set({ twoFactorSecret: null, twoFactorEnabledAt: null, twoFactorLastStep: null, updatedAt: now })
      .where(eq(users.id, user.id))
    await tx.delete(twoFactorBackupCodes).where(eq(twoFactorBackupCodes.userId, user.id))
    await recordAudit(tx, {
      event: 'TWO_FACTOR_DISABLED',
      at: now,
      client,
      userId: user.id,
      details: { confirmedWith: secondFactor },
    })
  })
}

/** Ten new backup codes for a code of the current ones (or a TOTP code); the old ones stop working. */
export async function regenerateBackupCodes(
  db: Database,
  deps: TwoFactorDeps,
  input: Acting & { code: string },
): Promise<string[]> {
  await verifySecondFactor(db, deps, input)
  const box = boxOf(deps)
  const codes = newBackupCodes()
  await db.transaction(async (tx) => {
    await replaceBackupCodes(tx, box, input.user.id, codes, input.now)
    await recordAudit(tx, {
      event: 'BACKUP_CODES_REGENERATED',
      at: input.now,
      client: input.client,
      userId: input.user.id,
    })
  })
  return codes
}

export async function remainingBackupCodes(db: Database, userId: string): Promise<number> {
  const [row] = await db
    .select({ remaining: count() })
    .from(twoFactorBackupCodes)
    .where(and(eq(twoFactorBackupCodes.userId, userId), isNull(twoFactorBackupCodes.usedAt)))
  return row?.remaining ?? 0
}

function assertNotLocked(user: User, now: Date): void {
  if (user.twoFactorLockedUntil && user.twoFactorLockedUntil > now) {
    const seconds = Math.ceil((user.twoFactorLockedUntil.getTime() - now.getTime()) / 1000)
    throw errors
      .TWO_FACTOR_LOCKED(`Too many wrong codes; try again in ${seconds} seconds.`)
      .withHeaders({ 'retry-after': String(seconds) })
  }
}

async function replaceBackupCodes(
  db: Database,
  box: TwoFactorSecretBox,
  userId: string,
  codes: string[],
  now: Date,
): Promise<void> {
  await db.delete(twoFactorBackupCodes).where(eq(twoFactorBackupCodes.userId, userId))
  await db.insert(twoFactorBackupCodes).values(
    codes.map((code) => ({
      userId,
      codeHash: box.hashBackupCode(normalizeBackupCode(code) as string),
      createdAt: now,
    })),
  )
}

/** Spends the matching unused code; answers how many remain, or undefined when none matched (or it lost a race). */
async function spendBackupCode(
  db: Database,
  box: TwoFactorSecretBox,
  userId: string,
  code: string,
  now: Date,
): Promise<number | undefined> {
  const candidates = box.backupCodeCandidates(code)
  const unused = await db
    .select({ id: twoFactorBackupCodes.id, codeHash: twoFactorBackupCodes.codeHash })
    .from(twoFactorBackupCodes)
    .where(and(eq(twoFactorBackupCodes.userId, userId), isNull(twoFactorBackupCodes.usedAt)))
  // Every stored hash against every candidate, without stopping at a match: the time says nothing of which.
  let matched: string | undefined
  for (const row of unused)
    for (const candidate of candidates) if (safeEqual(row.codeHash, candidate)) matched ??= row.id
  if (!matched) return undefined
  const [spent] = await db
    .update(twoFactorBackupCodes)
    .set({ usedAt: now })
    .where(and(eq(twoFactorBackupCodes.id, matched), isNull(twoFactorBackupCodes.usedAt)))
    .returning({ id: twoFactorBackupCodes.id })
  return spent ? unused.length - 1 : undefined
}

async function recordCodeFailure(
  db: Database,
  deps: TwoFactorDeps,
  { user, now, client }: Acting,
  reason: string,
): Promise<void> {
  const [counted] = await db
    .update(users)
    .set({
      twoFactorFailedCount: sql`${users.twoFactorFailedCount} + 1`,
      twoFactorLockedUntil: lockedUntilAfterFailure(deps.lockout, now, TWO_FACTOR_FAILURES),
    })
    .where(eq(users.id, user.id))
    .returning({ failed: users.twoFactorFailedCount, lockedUntil: users.twoFactorLockedUntil })
  const entries: AuditEntry[] = [
    {
      event: 'TWO_FACTOR_FAILED',
      at: now,
      client,
      userId: user.id,
      details: { reason, failedAttempts: counted?.failed ?? 0 },
    },
  ]
  if (counted?.lockedUntil && counted.lockedUntil > now && counted.failed >= deps.lockout.threshold) {
    entries.push({
      event: 'TWO_FACTOR_LOCKED',
      at: now,
      client,
      userId: user.id,
      details: { reason, failedAttempts: counted.failed, lockedUntil: counted.lockedUntil.toISOString() },
    })
  }
  await recordAudit(db, ...entries)
}
