/** Stripe's meter-event window (ANCHORS.md): events up to 35 days old and at most 5 minutes ahead are accepted. */
export const LATE_WINDOW_MS = 35 * 24 * 60 * 60 * 1000
export const EARLY_WINDOW_MS = 5 * 60 * 1000

/** Where `occurredAt` stands against the window at `now` (the injected clock). */
export function windowCheck(occurredAt: Date, now: Date): 'inside' | 'too_old' | 'too_far_in_future' {
  if (occurredAt.getTime() < now.getTime() - LATE_WINDOW_MS) return 'too_old'
  if (occurredAt.getTime() > now.getTime() + EARLY_WINDOW_MS) return 'too_far_in_future'
  return 'inside'
}
