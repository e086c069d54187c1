import Type from 'typebox'
import { Timestamp, Uuid } from '../schemas.ts'

export const Role = Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('member')])

export const TenantParams = Type.Object({ id: Uuid })
// A member is an auth-api user: its id is a uuid (and member-users.ts checks that the user exists).
export const TenantMemberParams = Type.Object({ id: Uuid, userId: Uuid })

export const RateLimitView = Type.Object({
  max: Type.Integer(),
  windowMs: Type.Integer(),
})

export const TenantView = Type.Object({
  id: Uuid,
  name: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('suspended')]),
  plan: Type.Union([Type.Literal('free'), Type.Literal('pro'), Type.Literal('enterprise')]),
  rateLimit: RateLimitView,
  /** Requests per UTC month (the tenant's override, else the plan's); null: unlimited. */
  monthlyRequestQuota: Type.Union([Type.Integer(), Type.Null()]),
  /** The soft threshold in percent of the quota; null: none. */
  usageAlertPercent: Type.Union([Type.Integer(), Type.Null()]),
  createdAt: Timestamp,
})

export const UsageAlertSetting = Type.Object({
  usageAlertPercent: Type.Union([Type.Integer(), Type.Null()]),
})

// No null here (DELETE clears it): with type coercion, a 0 would be read as null and clear it silently.
export const UsageAlertBody = Type.Object({ usageAlertPercent: Type.Integer({ minimum: 1, maximum: 100 }) })

export const TenantWithRole = Type.Object({ ...TenantView.properties, role: Role })

export const MemberView = Type.Object({
  userId: Type.String(),
  role: Role,
  createdAt: Timestamp,
})
