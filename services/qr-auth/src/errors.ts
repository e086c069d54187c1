import { defineErrors } from '@gatehouse/service-kit'

// Codes without the prefix: the service answers them as QR_AUTH_<CODE>.
export const errors = defineErrors({
  // Desktop side. One answer for an unknown session and a wrong poll token: no way to probe ids.
  POLL_TOKEN_INVALID: [401, 'Poll token missing or wrong'],
  SLOW_DOWN: [429, 'Polling too fast'],
  SESSION_NOT_PENDING: [409, 'QR session no longer shows a code'],
  // Made before the exchange-token migration: it can never be exchanged, so the desktop starts a new one.
  SESSION_OUTDATED: [410, 'QR session is outdated; start a new QR login'],
  SESSION_EXPIRED: [410, 'QR session expired'],
  // Phone side.
  LOGIN_REQUIRED: [401, 'Sign in on this device first'],
  SESSION_NOT_FOUND: [404, 'QR session not found'],
  CODE_INVALID: [403, 'QR code not valid'],
  CODE_EXPIRED: [410, 'QR code expired; scan the one shown now'],
  SESSION_ALREADY_SCANNED: [409, 'QR session already scanned'],
  SESSION_NOT_SCANNED: [409, 'QR session not scanned yet'],
  // The scan claims the session: nobody else may approve or reject it (GHSA-cq3f-vc6p-68fh).
  SESSION_CLAIMED: [403, 'QR session was scanned by another user'],
  SESSION_ALREADY_DECIDED: [409, 'QR session already approved or rejected'],
  // Exchange.
  EXCHANGE_TOKEN_INVALID: [401, 'Exchange token not valid'],
  EXCHANGE_TOKEN_USED: [409, 'Exchange token already used'],
  EXCHANGE_TOKEN_EXPIRED: [401, 'Exchange token expired'],
  SESSION_NOT_APPROVED: [409, 'QR session not approved'],
  SESSION_REJECTED: [409, 'QR session was rejected'],
  APPROVER_NOT_FOUND: [409, 'The approving user no longer exists'],
  SESSION_ISSUER_UNAVAILABLE: [503, 'Could not open the session; retry with the same token'],
  // Operators.
  CRON_SECRET_REQUIRED: [401, 'Cron secret required'],
})
