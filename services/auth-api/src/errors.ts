import { defineErrors } from '@gatehouse/service-kit'

// Codes without the prefix: the service answers them as AUTH_API_<CODE>.
export const errors = defineErrors({
  // One answer for unknown email, wrong password and locked account, so none of them can be told apart.
  INVALID_CREDENTIALS: [401, 'Invalid email or password'],
  EMAIL_TAKEN: [409, 'Email cannot be registered'],
  WEAK_PASSWORD: [400, 'Password does not meet the policy'],
  UNAUTHENTICATED: [401, 'Authentication required'],
  INVALID_ACCESS_TOKEN: [401, 'Invalid access token'],
  INVALID_REFRESH_TOKEN: [401, 'Invalid refresh token'],
  TOKEN_REUSED: [401, 'Refresh token already used'],
  SESSION_EXPIRED: [401, 'Session expired'],
  SESSION_NOT_FOUND: [404, 'Session not found'],
  USER_NOT_FOUND: [404, 'User not found'],
  CRON_SECRET_REQUIRED: [401, 'Cron secret required'],
  // The code and title service-kit's verifyServiceToken answers with, for the same refusal.
  INTERNAL_AUTH_REQUIRED: [401, 'Unauthorized'],

  // Mailed links and one-time tokens: one answer for unknown, tampered, expired and used, so none leaks which.
  INVALID_TOKEN: [400, 'Invalid or expired token'],
  // Only after the right password, and only with REQUIRE_EMAIL_VERIFICATION=true.
  EMAIL_NOT_VERIFIED: [403, 'Email address not verified'],
  EMAIL_UNCHANGED: [400, 'Email address unchanged'],
  CURRENT_PASSWORD_INCORRECT: [403, 'Current password is incorrect'],
  NO_PASSWORD: [409, 'Account has no password'],

  TWO_FACTOR_ALREADY_ENABLED: [409, 'Two-factor authentication already enabled'],
  TWO_FACTOR_NOT_ENABLED: [409, 'Two-factor authentication not enabled'],
  TWO_FACTOR_NOT_PENDING: [409, 'No two-factor enrolment in progress'],
  INVALID_TWO_FACTOR_CODE: [401, 'Invalid authentication code'],
  // Failed codes have their own counter: after TWO_FACTOR_LOCKOUT_THRESHOLD of them, codes are refused a while.
  TWO_FACTOR_LOCKED: [423, 'Two-factor authentication locked'],
  // No TWO_FACTOR_ENCRYPTION_KEY (outside production), or one that cannot open the stored secret.
  TWO_FACTOR_UNAVAILABLE: [503, 'Two-factor authentication unavailable'],
  MFA_CHALLENGE_INVALID: [401, 'Sign-in challenge invalid or expired'],

  OAUTH_PROVIDER_UNKNOWN: [404, 'Unknown sign-in provider'],
  OAUTH_RETURN_URL_REFUSED: [400, 'Return URL not allowed'],
  // The callback came without our cookie, with another state, or too late: this browser did not start it.
  OAUTH_STATE_INVALID: [400, 'Sign-in state invalid or expired'],
  OAUTH_DENIED: [400, 'Sign-in not authorised by the provider'],
  OAUTH_CODE_REJECTED: [400, 'Authorization code rejected'],
  OAUTH_INVALID_ID_TOKEN: [502, 'Invalid ID token from the provider'],
  OAUTH_PROVIDER_ERROR: [502, 'Unusable answer from the provider'],
  OAUTH_PROVIDER_UNAVAILABLE: [503, 'Sign-in provider unavailable'],
  // Linking by email only when the provider vouches for it: anyone can type someone else's address there.
  OAUTH_EMAIL_NOT_VERIFIED: [409, 'Provider email not verified'],
  OAUTH_EMAIL_REQUIRED: [422, 'Provider gave no email address'],
  OAUTH_IDENTITY_IN_USE: [409, 'Identity linked to another account'],
  IDENTITY_NOT_FOUND: [404, 'Identity not found'],
  LAST_SIGN_IN_METHOD: [409, 'Last way to sign in'],
})
