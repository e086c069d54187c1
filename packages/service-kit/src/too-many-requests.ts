import { ServiceError } from './errors.ts'

export interface RateLimitState {
  /** Shown in RateLimit-Policy, e.g. `tenant` or `login-ip`. */
  policy: string
  limit: number
  remaining: number
  resetSeconds: number
  windowSeconds: number
}

/** The IETF RateLimit headers (draft-ietf-httpapi-ratelimit-headers), the same on every service. */
export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    'ratelimit-policy': `"${state.policy}";q=${state.limit};w=${state.windowSeconds}`,
    'ratelimit-limit': String(state.limit),
    'ratelimit-remaining': String(state.remaining),
    'ratelimit-reset': String(state.resetSeconds),
  }
}

/** The one 429 of every service: `<PREFIX>_RATE_LIMITED`, the RateLimit headers and Retry-After. */
export function tooManyRequests(state: RateLimitState): ServiceError {
  const retryAfter = Math.max(1, state.resetSeconds)
  return new ServiceError(
    'RATE_LIMITED',
    429,
    'Too many requests',
    `Rate limit of ${state.limit} requests per ${state.windowSeconds} s exceeded; retry in ${retryAfter} s.`,
  ).withHeaders({ ...rateLimitHeaders(state), 'retry-after': String(retryAfter) })
}
