import type { ErrorFactory } from '@gatehouse/service-kit'
import { errors } from '../errors.ts'
import type { Role } from './memberships.ts'

type Documented = Pick<ErrorFactory, 'code' | 'status'>

/** service-kit's one 429 (`tooManyRequests`), which the rate limiter answers. */
export const RATE_LIMITED: Documented = { code: 'RATE_LIMITED', status: 429 }

/**
 * What `adminAuth` (callers/admin-auth.ts) answers on every /api/tenants route: no credential, an API key instead
 * of a user token, a bad token or an ended session, auth-api's keys or sessions out of reach, the per-user budget
 * spent. Its limiter fails open, so never RATE_LIMIT_UNAVAILABLE.
 */
export const ADMIN_AUTH_PROBLEMS: readonly Documented[] = [
  errors.UNAUTHENTICATED,
  errors.USER_TOKEN_REQUIRED,
  errors.ACCESS_TOKEN_INVALID,
  errors.AUTH_UNAVAILABLE,
  RATE_LIMITED,
]

/** `requireRole` (memberships.ts): a non-member is answered 404, a member below `atLeast` 403. */
export function roleProblems(atLeast: Role): Documented[] {
  return atLeast === 'member' ? [errors.TENANT_NOT_FOUND] : [errors.TENANT_NOT_FOUND, errors.FORBIDDEN]
}
