import Type from 'typebox'

export const Email = Type.String({ format: 'email', minLength: 3, maxLength: 255 })
// Capped like the hasher's input (1 KiB) so an enormous "password" cannot burn CPU.
export const Password = Type.String({ minLength: 1, maxLength: 1024 })
export const RefreshTokenField = Type.String({ minLength: 1, maxLength: 512 })
export const Uuid = Type.String({ format: 'uuid' })
export const DateTime = Type.String({ format: 'date-time' })

export const BearerHeaders = Type.Object({ authorization: Type.Optional(Type.String({ maxLength: 4096 })) })

export const UserView = Type.Object({
  id: Uuid,
  email: Type.String(),
  name: Type.String(),
  emailVerified: Type.Boolean(),
  createdAt: DateTime,
})

export const TokenGrant = Type.Object({
  accessToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'seconds' }),
  /** Absent for browsers: they get it only as the HttpOnly cookie. */
  refreshToken: Type.Optional(Type.String()),
  sessionId: Uuid,
  sessionExpiresAt: DateTime,
})

export const SessionGrant = Type.Intersect([TokenGrant, Type.Object({ user: UserView })])

export const RefreshBody = Type.Union([
  Type.Object({ refreshToken: Type.Optional(RefreshTokenField) }),
  Type.Null(),
])
