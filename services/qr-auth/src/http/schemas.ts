import Type from 'typebox'

export const Uuid = Type.String({ format: 'uuid' })
export const DateTime = Type.String({ format: 'date-time' })
export const SessionParams = Type.Object({ id: Uuid })
// session-status.ts's QR_STATUSES, spelt out so the type keeps its literals.
export const Status = Type.Union([
  Type.Literal('pending'),
  Type.Literal('scanned'),
  Type.Literal('approved'),
  Type.Literal('rejected'),
  Type.Literal('expired'),
  Type.Literal('exchanged'),
])

/** Poll tokens are 43 characters; anything much longer is not one. */
export const PollToken = Type.String({ minLength: 1, maxLength: 128 })
export const POLL_TOKEN_HEADER = 'x-qr-poll-token'
export const PollTokenHeaders = Type.Object({ [POLL_TOKEN_HEADER]: Type.Optional(PollToken) })
/** Where a browser cannot set a header (img src, EventSource), the poll token may come as ?pollToken=. */
export const PollTokenQuery = Type.Object({ pollToken: Type.Optional(PollToken) })

export const BearerHeaders = Type.Object({ authorization: Type.Optional(Type.String({ maxLength: 4096 })) })

/** What the phone shows before the user approves: which device is asking, from where, since when. */
export const RequesterView = Type.Object({
  ip: Type.Union([Type.String(), Type.Null()]),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  requestedAt: DateTime,
})
