import type { RateLimitPolicy } from '../infra/rate-limit.ts'

export type Plan = 'free' | 'pro' | 'enterprise'

export const PLAN_LIMITS: Record<Plan, RateLimitPolicy> = {
  free: { max: 600, windowMs: 60_000 },
  pro: { max: 6_000, windowMs: 60_000 },
  enterprise: { max: 60_000, windowMs: 60_000 },
}

/** A tenant's budget: its explicit limit when both columns are set, else its plan's. */
export function tenantPolicyOf(tenant: {
  plan: Plan
  rateLimitMax: number | null
  rateLimitWindowMs: number | null
}): RateLimitPolicy {
  if (tenant.rateLimitMax !== null && tenant.rateLimitWindowMs !== null) {
    return { max: tenant.rateLimitMax, windowMs: tenant.rateLimitWindowMs }
  }
  return PLAN_LIMITS[tenant.plan]
}
