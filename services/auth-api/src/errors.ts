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
})
