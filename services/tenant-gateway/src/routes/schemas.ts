import Type from 'typebox'

/** Handlers return Date objects; fast-json-stringify writes them as ISO strings. */
export const Timestamp = Type.Unsafe<Date>(Type.String({ format: 'date-time' }))
export const NullableTimestamp = Type.Unsafe<Date | null>(
  Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
)

export const Uuid = Type.String({ format: 'uuid' })
export const Role = Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('member')])
export const Scopes = Type.Array(
  Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9:._*-]+$' }),
  {
    maxItems: 50,
  },
)

export const TenantParams = Type.Object({ id: Uuid })
export const TenantKeyParams = Type.Object({ id: Uuid, keyId: Uuid })
export const TenantMemberParams = Type.Object({
  id: Uuid,
  userId: Type.String({ minLength: 1, maxLength: 200 }),
})

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

/** Listings: prefix, name, scopes, dates. No key, no hash: the serializer drops anything else. */
export const KeyView = Type.Object({
  id: Uuid,
  name: Type.String(),
  prefix: Type.String(),
  scopes: Type.Array(Type.String()),
  expiresAt: NullableTimestamp,
  lastUsedAt: NullableTimestamp,
  revokedAt: NullableTimestamp,
  replacedById: Type.Union([Uuid, Type.Null()]),
  createdAt: Timestamp,
})

/** The only response that carries a raw key: creation and rotation, once. */
export const IssuedKey = Type.Object({ ...KeyView.properties, key: Type.String() })

export const MemberView = Type.Object({
  userId: Type.String(),
  role: Role,
  createdAt: Timestamp,
})
