/** Anything with a TTL reads time through this, so tests move time instead of sleeping. */
export type Clock = () => Date

export const systemClock: Clock = () => new Date()

export function addSeconds(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000)
}

/** A clock a test moves by hand, in milliseconds. */
export interface TestClock extends Clock {
  advance(ms: number): void
  set(at: Date): void
}

/** Starts at the real time by default, so the database's now() stays comparable. */
export function createTestClock(start = new Date()): TestClock {
  let current = start.getTime()
  const clock = (() => new Date(current)) as TestClock
  clock.advance = (ms) => {
    current += ms
  }
  clock.set = (at) => {
    current = at.getTime()
  }
  return clock
}

/** The first instant of `at`'s UTC month (usage periods, quotas, monthly partitions). */
export function utcMonthStart(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1))
}

/** The first instant of the UTC month `months` after `at`'s. */
export function addUtcMonths(at: Date, months: number): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + months, 1))
}
