import { defineErrors } from '@gatehouse/service-kit'

/** Every code this service answers with (prefixed METERING_), besides service-kit's generic ones. */
export const errors = defineErrors({
  EVENT_NOT_FOUND: [
    404,
    'Usage event not found',
    'No event of this tenant has that idempotency key: check the key (URL-encoded) and the credentials used.',
  ],
  VOID_NOT_ALLOWED: [
    403,
    'Event cannot be voided',
    "The gateway's own api.* events and voids themselves cannot be voided; only a tenant's own events can.",
  ],
  VOID_WINDOW_CLOSED: [
    409,
    'Void window closed',
    'Events can be voided up to 35 days after they occurred; correct older usage with a new event.',
  ],
  RANGE_INVALID: [
    400,
    'Invalid time range',
    '`to` must come after `from`, within the span `detail` gives for this granularity or export.',
  ],
  PERIOD_INVALID: [
    400,
    'Invalid period',
    "A usage alert's `periodStart` is the start of a UTC month (e.g. 2030-03-01T00:00:00Z).",
  ],
  CURSOR_INVALID: [400, 'Invalid cursor', 'Pass back `nextCursor` exactly as the previous page returned it.'],
  EXPORT_BUSY: [
    503,
    'Too many exports running',
    'Retry after Retry-After seconds; exports of this process run a few at a time.',
  ],
})
