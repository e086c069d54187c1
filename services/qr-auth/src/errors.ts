import { defineErrors } from '@gatehouse/service-kit'

// Codes without the prefix: the service answers them as QR_AUTH_<CODE>. The third entry is what a client should
// do (the error catalogue shows it).
export const errors = defineErrors({
  // Desktop side. One answer for an unknown session and a wrong poll token: no way to probe ids.
  POLL_TOKEN_INVALID: [
    401,
    'Poll token missing or wrong',
    "Send the poll token the session was created with in x-qr-poll-token (or ?pollToken= where a browser can't set headers).",
  ],
  SLOW_DOWN: [
    429,
    'Polling too fast',
    'RFC 8628 slow_down: wait `interval` seconds (also in Retry-After) between polls from now on.',
  ],
  SESSION_NOT_PENDING: [
    409,
    'QR session no longer shows a code',
    'It was scanned already: poll for its status.',
  ],
  // Made before the exchange-token migration: it can never be exchanged, so the desktop starts a new one.
  SESSION_OUTDATED: [
    410,
    'QR session is outdated; start a new QR login',
    'Create a new session (POST /api/qr/sessions).',
  ],
  SESSION_EXPIRED: [410, 'QR session expired', 'Create a new session (POST /api/qr/sessions).'],
  // Phone side.
  LOGIN_REQUIRED: [
    401,
    'Sign in on this device first',
    'Call through the gateway with Authorization: Bearer <your access token>.',
  ],
  SESSION_NOT_FOUND: [404, 'QR session not found', 'Scan the code the other device shows now.'],
  CODE_INVALID: [403, 'QR code not valid', 'Scan the code the other device shows now.'],
  CODE_EXPIRED: [410, 'QR code expired; scan the one shown now', 'Scan the code the other device shows now.'],
  SESSION_ALREADY_SCANNED: [
    409,
    'QR session already scanned',
    'Ask the other device to start a new QR login.',
  ],
  SESSION_NOT_SCANNED: [409, 'QR session not scanned yet', 'Scan the code first (POST .../scan).'],
  // The scan claims the session: nobody else may approve or reject it (GHSA-cq3f-vc6p-68fh).
  SESSION_CLAIMED: [
    403,
    'QR session was scanned by another user',
    'Only the user who scanned it can approve or reject it.',
  ],
  SESSION_ALREADY_DECIDED: [
    409,
    'QR session already approved or rejected',
    'Nothing to do; start a new QR login to change it.',
  ],
  // Exchange.
  EXCHANGE_TOKEN_INVALID: [
    401,
    'Exchange token not valid',
    'Use the token the first poll after the approval returned.',
  ],
  EXCHANGE_TOKEN_USED: [
    409,
    'Exchange token already used',
    'Each token opens one session: start a new QR login.',
  ],
  EXCHANGE_TOKEN_EXPIRED: [401, 'Exchange token expired', 'Start a new QR login.'],
  SESSION_NOT_APPROVED: [409, 'QR session not approved', 'Keep polling until the phone approves.'],
  SESSION_REJECTED: [409, 'QR session was rejected', 'The phone said no: start a new QR login to try again.'],
  APPROVER_NOT_FOUND: [409, 'The approving user no longer exists', 'Start a new QR login.'],
  SESSION_ISSUER_UNAVAILABLE: [
    503,
    'Could not open the session; retry with the same token',
    'Retry the same exchange after Retry-After seconds: the token stays valid until the session expires.',
  ],
  // Operators.
  CRON_SECRET_REQUIRED: [401, 'Cron secret required', 'Send Authorization: Bearer $CRON_SECRET.'],
})
