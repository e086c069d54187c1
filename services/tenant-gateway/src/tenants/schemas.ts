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
  createdAt: Timestamp,
})

export const TenantWithRole = Type.Object({ ...TenantView.properties, role: Role })

export const MemberView = Type.Object({
  userId: Type.String(),
  role: Role,
  createdAt: Timestamp,
})
