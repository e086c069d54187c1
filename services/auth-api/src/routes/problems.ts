import type { ErrorFactory } from '@gatehouse/service-kit'
import { errors } from '../errors.ts'

type Documented = Pick<ErrorFactory, 'code' | 'status'>

/** What `authenticate` (http/authenticate.ts) answers: no bearer token, a bad one, or one whose session ended. */
export const AUTHENTICATION_PROBLEMS: readonly Documented[] = [
  errors.UNAUTHENTICATED,
  errors.INVALID_ACCESS_TOKEN,
  errors.SESSION_EXPIRED,
]

/** service-kit's one 429 (`tooManyRequests`), which `enforceLimits` and `mailLimits` throw. */
export const RATE_LIMITED: Documented = { code: 'RATE_LIMITED', status: 429 }

/**
 * A credential that may be left out: logout takes a refresh token (cookie or body), an access token, or nothing.
 * An empty requirement is OpenAPI's "no credential"; none of the four schemes describes a refresh cookie.
 */
export const OPTIONAL_USER_TOKEN = [{}, { userBearer: [] }] as const
