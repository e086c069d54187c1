import { defineErrors } from '@gatehouse/service-kit'

/** Every code this service answers with (prefixed METERING_), besides service-kit's generic ones. */
export const errors = defineErrors({
  EVENT_NOT_FOUND: [404, 'Usage event not found'],
  VOID_NOT_ALLOWED: [403, 'Event cannot be voided'],
  VOID_WINDOW_CLOSED: [409, 'Void window closed'],
  RANGE_INVALID: [400, 'Invalid time range'],
  CURSOR_INVALID: [400, 'Invalid cursor'],
  EXPORT_BUSY: [503, 'Too many exports running'],
})
