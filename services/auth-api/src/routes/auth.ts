import type { Database } from '@gatehouse/db-kit'
import { type Clock, SECURITY, type ServiceInstance } from '@gatehouse/service-kit'
import Type from 'typebox'
import type { AccessTokens } from '../access-tokens.ts'
import type { AccountMail } from '../account-mail.ts'
import { recordAudit } from '../audit.ts'
import { errors } from '../errors.ts'
import { authenticate, bearerToken } from '../http/authenticate.ts'
import { clientInfo } from '../http/client-info.ts'
import { enforceLimits } from '../http/rate-limits.ts'
import { presentedRefreshToken, type RefreshCookie } from '../http/refresh-cookie.ts'
import {
  BearerHeaders,
  Email,
  MfaRequired,
  mfaRequired,
  Password,
  RefreshBody,
  SessionGrant,
  TokenGrant,
  UserView,
  Uuid,
} from '../http/schemas.ts'
import { sendGrant, sendSessionGrant } from '../http/token-grant.ts'
import type { LockoutPolicy } from '../lockout.ts'
import { loginWithPassword } from '../login.ts'
import { assertPasswordPolicy } from '../password-policy.ts'
import { hashRefreshToken, isWellFormedRefreshToken, rotateRefreshToken } from '../refresh-tokens.ts'
import type { SessionRevocations } from '../session-revocations.ts'
import { revokeSessions, type SessionSelector } from '../sessions.ts'
import { normalizeEmail, registerUser, userView } from '../users.ts'
import { AUTHENTICATION_PROBLEMS, OPTIONAL_USER_TOKEN, RATE_LIMITED } from './problems.ts'

export interface AuthRateLimits {
  windowSeconds: number
  loginPerIp: number
  loginPerAccount: number
  registerPerIp: number
}

export interface AuthRouteDeps {
  db: Database
  clock: Clock
  accessTokens: AccessTokens
  refreshCookie: RefreshCookie
  sessionTtlSeconds: number
  /** How long a just-rotated refresh token may be presented again and get the same successor. */
  refreshGraceSeconds: number
  lockout: LockoutPolicy
  limits: AuthRateLimits
  accountMail: AccountMail
  /** REQUIRE_EMAIL_VERIFICATION: sign-up opens no session and login refuses until the address is verified. */
  requireVerifiedEmail: boolean
  mfaChallengeTtlSeconds: number
  /** Tells the gateway which sessions ended, so their access tokens stop there too. */
  revocations: SessionRevocations
}

/** Sign-up while REQUIRE_EMAIL_VERIFICATION is on: the account exists, the session waits for the mailed link. */
const VerificationPending = Type.Object({
  user: UserView,
  emailVerificationRequired: Type.Literal(true),
})

/** /api/auth: register, login, refresh, logout, logout-all, me. */
export async function authRoutes(app: ServiceInstance, deps: AuthRouteDeps) {
  const { db, clock, refreshCookie, sessionTtlSeconds, refreshGraceSeconds, lockout, limits } = deps
  const byIp = (name: string, max: number) => ({
    name,
    max,
    windowSeconds: limits.windowSeconds,
    key: (r: { ip: string }) => r.ip,
  })
  const registerLimits = enforceLimits(app, [byIp('register-ip', limits.registerPerIp)])
  const loginLimits = enforceLimits(app, [
    byIp('login-ip', limits.loginPerIp),
    {
      name: 'login-account',
      max: limits.loginPerAccount,
      windowSeconds: limits.windowSeconds,
      key: (request) => normalizeEmail((request.body as { email: string }).email),
    },
  ])

  app.post(
    '/register',
    {
      preHandler: registerLimits,
      config: { problems: [errors.WEAK_PASSWORD, errors.EMAIL_TAKEN, RATE_LIMITED] },
      schema: {
        summary: 'Register',
        description:
          'Creates the account and, unless REQUIRE_EMAIL_VERIFICATION is on, opens its first session; mails a verification link.',
        security: SECURITY.public,
        body: Type.Object({
          email: Email,
          name: Type.String({ minLength: 1, maxLength: 255, pattern: '\\S' }),
          password: Password,
          confirmPassword: Password,
        }),
        response: { 201: Type.Union([SessionGrant, VerificationPending]) },
      },
    },
    async (request, reply) => {
      const { email, name, password, confirmPassword } = request.body
      if (password !== confirmPassword) {
        throw errors.WEAK_PASSWORD('The passwords do not match.', {
          errors: [{ path: '/body/confirmPassword', message: 'must match password' }],
        })
      }
      assertPasswordPolicy(password, { email, name })
      const client = clientInfo(request)
      const { user, session } = await registerUser(db, {
        email,
        name,
        password,
        client,
        now: clock(),
        sessionTtlSeconds,
        openSession: !deps.requireVerifiedEmail,
      })
      deps.accountMail.sendVerification(user)
      reply.code(201)
      if (!session) return { user: userView(user), emailVerificationRequired: true as const }
      return sendSessionGrant(deps, request, reply, { user, session })
    },
  )

  app.post(
    '/login',
    {
      preHandler: loginLimits,
      config: { problems: [errors.INVALID_CREDENTIALS, errors.EMAIL_NOT_VERIFIED, RATE_LIMITED] },
      schema: {
        summary: 'Log in with email and password',
        description:
          'Answers a session grant, or, for an account with two-factor on, an MFA challenge for POST /api/auth/2fa/verify.',
        security: SECURITY.public,
        body: Type.Object({ email: Email, password: Password }),
        response: { 200: Type.Union([SessionGrant, MfaRequired]) },
      },
    },
    async (request, reply) => {
      const { user, session, challenge } = await loginWithPassword(
        db,
        { ...request.body, client: clientInfo(request), now: clock() },
        {
          lockout,
          sessionTtlSeconds,
          requireVerifiedEmail: deps.requireVerifiedEmail,
          mfaChallengeTtlSeconds: deps.mfaChallengeTtlSeconds,
        },
      )
      if (challenge) {
        reply.header('cache-control', 'no-store')
        return mfaRequired(challenge)
      }
      return sendSessionGrant(deps, request, reply, { user, session })
    },
  )

  app.post(
    '/refresh',
    {
      config: {
        problems: [errors.UNAUTHENTICATED, errors.INVALID_REFRESH_TOKEN, errors.TOKEN_REUSED],
      },
      schema: {
        summary: 'Rotate the refresh token',
        description:
          'Takes the refresh token from the HttpOnly cookie or as "refreshToken"; answers a new access token and the next refresh token.',
        security: SECURITY.public,
        body: RefreshBody,
        response: { 200: TokenGrant },
      },
    },
    async (request, reply) => {
      const presented = presentedRefreshToken(request, request.body?.refreshToken)
      if (!presented)
        throw errors.UNAUTHENTICATED('Send the refresh token in the cookie or as "refreshToken".')
      const outcome = await rotateRefreshToken(db, presented, {
        now: clock(),
        graceSeconds: refreshGraceSeconds,
        client: clientInfo(request),
      })
      if (outcome.kind === 'reused') {
        request.log.warn(
          { userId: outcome.userId, sessionId: outcome.sessionId },
          'refresh token reuse: session revoked',
        )
        deps.revocations.revoked([outcome.sessionId])
        refreshCookie.clear(reply)
        throw errors.TOKEN_REUSED('This token was rotated before; the session has been revoked.')
      }
      if (outcome.kind === 'rejected') {
        refreshCookie.clear(reply)
        throw errors.INVALID_REFRESH_TOKEN('The refresh token is unknown, revoked or expired.')
      }
      return sendGrant(deps, request, reply, outcome)
    },
  )

  app.post(
    '/logout',
    {
      // A bearer token that is not one of ours is refused; anything else (nothing, an unknown refresh token) is 204.
      config: { problems: [errors.INVALID_ACCESS_TOKEN] },
      schema: {
        summary: 'Log out',
        description:
          'Ends the session of the refresh token (cookie or body) or of the access token; idempotent.',
        security: OPTIONAL_USER_TOKEN,
        headers: BearerHeaders,
        body: RefreshBody,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const presented = presentedRefreshToken(request, request.body?.refreshToken)
      let which: SessionSelector | undefined
      if (presented) {
        if (isWellFormedRefreshToken(presented)) which = { refreshTokenHash: hashRefreshToken(presented) }
      } else {
        // A valid access token names its session even when that session has ended already (a second logout).
        const token = bearerToken(request)
        if (token) which = await deps.accessTokens.verify(token)
      }
      // Logout is idempotent: no credential, or an unknown or already revoked one, still answers 204 and clears
      // the cookie; only the sessions it really ends are recorded.
      if (which) {
        const revoked = await revokeSessions(db, {
          which,
          reason: 'logout',
          now: clock(),
          audit: { event: 'LOGOUT', client: clientInfo(request) },
        })
        deps.revocations.revoked(revoked.map((session) => session.id))
      }
      refreshCookie.clear(reply)
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/logout-all',
    {
      config: { problems: AUTHENTICATION_PROBLEMS },
      schema: {
        summary: 'Log out everywhere',
        security: SECURITY.user,
        headers: BearerHeaders,
        response: { 200: Type.Object({ revokedSessions: Type.Integer() }) },
      },
    },
    async (request, reply) => {
      const { user, session } = await authenticate(deps, request)
      const now = clock()
      // One summary event for all the sessions, in the transaction that revokes them.
      const revoked = await db.transaction(async (tx) => {
        const sessions = await revokeSessions(tx, { which: { userId: user.id }, reason: 'logout_all', now })
        await recordAudit(tx, {
          event: 'LOGOUT_ALL',
          at: now,
          client: clientInfo(request),
          userId: user.id,
          sessionId: session.id,
          details: { revokedSessions: sessions.length },
        })
        return sessions
      })
      deps.revocations.revoked(revoked.map((ended) => ended.id))
      refreshCookie.clear(reply)
      return { revokedSessions: revoked.length }
    },
  )

  app.get(
    '/me',
    {
      config: { problems: AUTHENTICATION_PROBLEMS },
      schema: {
        summary: 'The signed-in user',
        security: SECURITY.user,
        headers: BearerHeaders,
        response: { 200: Type.Object({ user: UserView, sessionId: Uuid }) },
      },
    },
    async (request, reply) => {
      const { user, session } = await authenticate(deps, request)
      reply.header('cache-control', 'no-store')
      return { user: userView(user), sessionId: session.id }
    },
  )
}
