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

/** A mailed or issued token as presented: any short string (a malformed one answers AUTH_API_INVALID_TOKEN). */
export const PresentedToken = Type.String({ minLength: 1, maxLength: 256 })

/** The answer of requests whose effect must not tell whether the account exists. */
export const Accepted = Type.Object({ accepted: Type.Literal(true), message: Type.String() })

/** The password (or OAuth) step's answer for an account with two-factor on: POST /api/auth/2fa/verify next. */
export const MfaRequired = Type.Object({
  mfaRequired: Type.Literal(true),
  mfaToken: Type.String(),
  mfaExpiresAt: DateTime,
  methods: Type.Array(Type.Union([Type.Literal('totp'), Type.Literal('backup_code')])),
})

export function mfaRequired(challenge: { token: string; expiresAt: Date }) {
  return {
    mfaRequired: true as const,
    mfaToken: challenge.token,
    mfaExpiresAt: challenge.expiresAt.toISOString(),
    methods: ['totp' as const, 'backup_code' as const],
  }
}
