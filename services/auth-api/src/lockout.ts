import { type SQL, sql } from 'drizzle-orm'
import { users } from './db/schema/index.ts'

export interface LockoutPolicy {
  /** Consecutive failures that lock the account. */
  threshold: number
  /** Lock length at the threshold; it doubles with every further failure. */
  baseSeconds: number
  maxSeconds: number
}

/**
 * Lock length after the n-th consecutive failure: nothing below the threshold, then base, 2×base, 4×base … up to
 * max. Written as the SET expression of the failure counter's UPDATE, so concurrent failures each see the count
 * the others wrote.
 */
export function lockedUntilAfterFailure(policy: LockoutPolicy, now: Date): SQL {
  const failures = sql`(${users.failedLoginCount} + 1)`
  const lockSeconds = sql`least(${policy.maxSeconds}::int, ${policy.baseSeconds}::int * power(2, least(${failures} - ${policy.threshold}::int, 20)))`
  return sql`case when ${failures} >= ${policy.threshold}::int
    then ${now.toISOString()}::timestamptz + make_interval(secs => ${lockSeconds})
    else ${users.lockedUntil} end`
}
