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

/** Requests per UTC month, by plan; null: unlimited. */
export const PLAN_QUOTAS: Record<Plan, number | null> = {
  free: 100_000,
  pro: 10_000_000,
  enterprise: null,
}

/** What the gateway enforces of a tenant's monthly quota (issue 15). */
export interface TenantQuota {
  /** Requests per UTC month; null: unlimited. */
  limit: number | null
  /** The soft threshold in percent of `limit`; null: none (100% is always recorded). */
  alertPercent: number | null
}

/** A tenant's quota: its override when set, else its plan's. */
export function tenantQuotaOf(tenant: {
  plan: Plan
  monthlyRequestQuota: number | null
  usageAlertPercent: number | null
}): TenantQuota {
  return {
    limit: tenant.monthlyRequestQuota ?? PLAN_QUOTAS[tenant.plan],
    alertPercent: tenant.usageAlertPercent,
  }
}
