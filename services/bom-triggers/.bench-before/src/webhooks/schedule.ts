/** Svix's retry schedule (ANCHORS.md): the delay before each attempt, 8 attempts over about 28 hours. */
export const SVIX_RETRY_SCHEDULE_MS: readonly number[] = [
  0,
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
]

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const
const DURATION = '[0-9]+(?:ms|s|m|h|d)'

/** A comma-separated list of durations such as `0s,5s,5m,30m`, for a config schema's `pattern`. */
export const DURATION_LIST_PATTERN = `^\\s*${DURATION}(\\s*,\\s*${DURATION})*\\s*$`

/** `0s,5s,5m` → [0, 5000, 300000]: the delay before each attempt, in milliseconds. */
export function parseRetrySchedule(text: string): number[] {
  if (!new RegExp(DURATION_LIST_PATTERN).test(text)) throw new RangeError(`invalid retry schedule: ${text}`)
  return text.split(',').map((part) => {
    const [, amount, unit] = /^([0-9]+)(ms|s|m|h|d)$/.exec(part.trim()) ?? []
    return Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS]
  })
}
