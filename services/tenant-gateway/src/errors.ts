import { defineErrors } from '@gatehouse/service-kit'

/**
 * Every code this service answers with, besides service-kit's generic ones (NOT_FOUND, VALIDATION_FAILED, ...) and
 * its one 429 (`tooManyRequests`). Codes are written without the prefix: the service adds TENANT_GATEWAY_.
 */
export const errors = defineErrors({
  VALIDATION_FAILED: [400, 'Request validation failed'],
  UNAUTHENTICATED: [401, 'Authentication required'],
  API_KEY_INVALID: [401, 'Invalid API key'],
  ACCESS_TOKEN_INVALID: [401, 'Invalid access token'],
  USER_TOKEN_REQUIRED: [401, 'User access token required'],
  TENANT_REQUIRED: [400, 'Tenant required'],
  TENANT_MISMATCH: [403, 'Tenant mismatch'],
  TENANT_SUSPENDED: [403, 'Tenant suspended'],
  TENANT_NOT_FOUND: [404, 'Tenant not found'],
  FORBIDDEN: [403, 'Forbidden'],
  KEY_NOT_FOUND: [404, 'API key not found'],
  KEY_REVOKED: [409, 'API key revoked'],
  MEMBER_NOT_FOUND: [404, 'Member not found'],
  USER_NOT_FOUND: [404, 'User not found'],
  BODY_TOO_LARGE: [413, 'Payload too large'],
  LAST_OWNER: [409, 'Tenant needs an owner'],
  USAGE_EXCEEDED: [
    429,
    'Monthly usage quota exceeded',
    'The tenant has used its monthly request quota. Requests are accepted again at the start of the next UTC month (Retry-After, resetsAt), or once the quota is raised.',
  ],
  RATE_LIMIT_UNAVAILABLE: [503, 'Rate limiting unavailable'],
  AUTH_UNAVAILABLE: [503, 'Service unavailable'],
  UPSTREAM_UNAVAILABLE: [503, 'Service unavailable'],
  UPSTREAM_BUSY: [503, 'Service busy'],
  UPSTREAM_TIMEOUT: [504, 'Gateway timeout'],
})
