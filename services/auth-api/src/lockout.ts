import { type Column, type SQL, sql } from 'drizzle-orm'
import { users } from './db/schema/index.ts'

export interface LockoutPolicy {
  /** Consecutive failures that lock the account. */
  threshold: number
  /** Lock length at the threshold; it doubles with every further failure. */
  baseSeconds: number
  maxSeconds: number
}

/** The columns of one failure counter: failed logins, or failed two-factor codes (their own lockout). */
export interface FailureCounter {
  count: Column
  lockedUntil: Column
}

export const PASSWORD_FAILURES: FailureCounter = {
  count: users.failedLoginCount,
  lockedUntil: users.lockedUntil,
}

export const TWO_FACTOR_FAILURES: FailureCounter = {
  count: users.twoFactorFailedCount,
  lockedUntil: users.twoFactorLockedUntil,
}

/**
 * Lock length after the n-th consecutive failure: nothing below the threshold, then base, 2×base, 4×base … up to
 * max. Written as the SET expression of the failure counter's UPDATE, so concurrent failures each see the count
 * the others wrote.
 */
export function lockedUntilAfterFailure(
  policy: LockoutPolicy,
  now: Date,
  counter: FailureCounter = PASSWORD_FAILURES,
): SQL {
  const failures = sql`(${counter.count} + 1)`
  const lockSeconds = sql`least(${policy.maxSeconds}::int, ${policy.baseSeconds}::int * power(2, least(${failures} - ${policy.threshold}::int, 20)))`
  return sql`case when ${failures} >= ${policy.threshold}::int
    then ${now.toISOString()}::timestamptz + make_interval(secs => ${lockSeconds})
    else ${counter.lockedUntil} end`
}
