import { SECURITY, type ServiceInstance } from '@gatehouse/service-kit'
import QRCode from 'qrcode'
import Type from 'typebox'
import { confirmPasswordIfSet } from '../account.ts'
import { errors } from '../errors.ts'
import { type AuthenticateDeps, authenticate } from '../http/authenticate.ts'
import { clientInfo } from '../http/client-info.ts'
import type { MfaCookie } from '../http/mfa-cookie.ts'
import { enforceLimits } from '../http/rate-limits.ts'
import { BearerHeaders, DateTime, Password, SessionGrant } from '../http/schemas.ts'
import { type GrantDeps, sendSessionGrant } from '../http/token-grant.ts'
import type { LockoutPolicy } from '../lockout.ts'
import { completeMfaChallenge } from '../two-factor/challenges.ts'
import {
  confirmTotpEnrollment,
  disableTwoFactor,
  isTwoFactorEnabled,
  regenerateBackupCodes,
  remainingBackupCodes,
  startTotpEnrollment,
  type TwoFactorDeps,
} from '../two-factor/two-factor.ts'
import { AUTHENTICATION_PROBLEMS, RATE_LIMITED } from './problems.ts'

export interface TwoFactorRouteDeps extends AuthenticateDeps, GrantDeps {
  twoFactor: TwoFactorDeps
  /** The password lockout, for the password that enrolment and disabling ask for. */
  lockout: LockoutPolicy
  mfaCookie: MfaCookie
  sessionTtlSeconds: number
  limits: { windowSeconds: number; verifyPerIp: number }
}

/** What checking a TOTP or backup code (verifySecondFactor) can answer. */
const CODE_PROBLEMS = [
  errors.TWO_FACTOR_UNAVAILABLE,
  errors.TWO_FACTOR_NOT_ENABLED,
  errors.TWO_FACTOR_LOCKED,
  errors.INVALID_TWO_FACTOR_CODE,
]

// A TOTP code (6 digits) or a backup code (`xxxxx-xxxxx`), spaces allowed.
const Code = Type.String({ minLength: 6, maxLength: 32 })
const BackupCodes = Type.Object({ backupCodes: Type.Array(Type.String(), { minItems: 10, maxItems: 10 }) })

/** /api/auth/2fa: TOTP enrolment, backup codes, disabling, and the second step of a sign-in. */
export async function twoFactorRoutes(app: ServiceInstance, deps: TwoFactorRouteDeps) {
  const { db, clock, twoFactor, lockout } = deps
  const verifyLimits = enforceLimits(app, [
    {
      name: 'mfa-verify-ip',
      max: deps.limits.verifyPerIp,
      windowSeconds: deps.limits.windowSeconds,
      key: (request) => request.ip,
    },
  ])

  app.get(
    '/',
    {
      config: { problems: AUTHENTICATION_PROBLEMS },
      schema: {
        summary: 'My two-factor status',
        security: SECURITY.user,
        headers: BearerHeaders,
        response: {
          200: Type.Object({
            enabled: Type.Boolean(),
            enabledAt: Type.Union([DateTime, Type.Null()]),
            enrollmentPending: Type.Boolean(),
            backupCodesRemaining: Type.Integer({ minimum: 0 }),
          }),
        },
      },
    },
    async (request, reply) => {
      const { user } = await authenticate(deps, request)
      const enabled = isTwoFactorEnabled(user)
      reply.header('cache-control', 'no-store')
      return {
        enabled,
        enabledAt: user.twoFactorEnabledAt?.toISOString() ?? null,
        enrollmentPending: !enabled && user.twoFactorSecret !== null,
        backupCodesRemaining: enabled ? await remainingBackupCodes(db, user.id) : 0,
      }
    },
  )

  app.post(
    '/totp',
    {
      config: {
        problems: [
          ...AUTHENTICATION_PROBLEMS,
          errors.CURRENT_PASSWORD_INCORRECT,
          errors.TWO_FACTOR_UNAVAILABLE,
          errors.TWO_FACTOR_ALREADY_ENABLED,
        ],
      },
      schema: {
        summary: 'Start TOTP enrolment',
        description:
          'A new secret, its otpauth URI and a QR code of it; two-factor is on once POST /api/auth/2fa/totp/confirm gets a first code.',
        security: SECURITY.user,
        headers: BearerHeaders,
        body: Type.Union([Type.Object({ password: Type.Optional(Password) }), Type.Null()]),
        response: {
          201: Type.Object({
            secret: Type.String({ description: 'base32, for typing into an authenticator by hand' }),
            otpauthUri: Type.String(),
            qrCode: Type.String({ description: 'data:image/png;base64 QR code of otpauthUri' }),
          }),
        },
      },
    },
    async (request, reply) => {
      const { user } = await authenticate(deps, request)
      const now = clock()
      const client = clientInfo(request)
      // Someone holding only a stolen access token must not be able to lock the owner out with their own 2FA.
      await confirmPasswordIfSet(db, { user, password: request.body?.password, now, client, lockout })
      const { secret, uri } = await startTotpEnrollment(db, twoFactor, { user, now, client })
      const qrCode = await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2, width: 256 })
      reply.code(201).header('cache-control', 'no-store')
      return { secret, otpauthUri: uri, qrCode }
    },
  )

  app.post(
    '/totp/confirm',
    {
      config: {
        problems: [
          ...AUTHENTICATION_PROBLEMS,
          errors.TWO_FACTOR_UNAVAILABLE,
          errors.TWO_FACTOR_ALREADY_ENABLED,
          errors.TWO_FACTOR_NOT_PENDING,
          errors.TWO_FACTOR_LOCKED,
          errors.INVALID_TWO_FACTOR_CODE,
        ],
      },
      schema: {
        summary: 'Confirm TOTP enrolment',
        description: 'The first code turns two-factor on; answers ten backup codes, shown this once.',
        security: SECURITY.user,
        headers: BearerHeaders,
        body: Type.Object({ code: Code }),
        response: { 200: BackupCodes },
      },
    },
    async (request, reply) => {
      const { user } = await authenticate(deps, request)
      const backupCodes = await confirmTotpEnrollment(db, twoFactor, {
        user,
        code: request.body.code,
        now: clock(),
        client: clientInfo(request),
      })
      reply.header('cache-control', 'no-store')
      return { backupCodes }
    },
  )

  app.delete(
    '/totp',
    {
      config: { problems: [...AUTHENTICATION_PROBLEMS, errors.CURRENT_PASSWORD_INCORRECT, ...CODE_PROBLEMS] },
      schema: {
        summary: 'Turn two-factor off',
        security: SECURITY.user,
        headers: BearerHeaders,
        body: Type.Object({ code: Code, password: Type.Optional(Password) }),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const { user } = await authenticate(deps, request)
      const now = clock()
      const client = clientInfo(request)
      // Accounts without a password (OAuth only) confirm with the code alone.
      await confirmPasswordIfSet(db, { user, password: request.body.password, now, client, lockout })
      await disableTwoFactor(db, twoFactor, { user, code: request.body.code, now, client })
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/backup-codes',
    {
      config: { problems: [...AUTHENTICATION_PROBLEMS, ...CODE_PROBLEMS] },
      schema: {
        summary: 'Replace my backup codes',
        description: 'Ten new codes for a current code; the old ones stop working.',
        security: SECURITY.user,
        headers: BearerHeaders,
        body: Type.Object({ code: Code }),
        response: { 200: BackupCodes },
      },
    },
    async (request, reply) => {
      const { user } = await authenticate(deps, request)
      const backupCodes = await regenerateBackupCodes(db, twoFactor, {
        user,
        code: request.body.code,
        now: clock(),
        client: clientInfo(request),
      })
      reply.header('cache-control', 'no-store')
      return { backupCodes }
    },
  )

  app.post(
    '/verify',
    {
      preHandler: verifyLimits,
      config: { problems: [errors.MFA_CHALLENGE_INVALID, ...CODE_PROBLEMS, RATE_LIMITED] },
      schema: {
        summary: 'Complete a sign-in with a second factor',
        description:
          'The challenge from the login answer ("mfaToken") or the mfa_challenge cookie an OAuth sign-in left, and a TOTP or backup code.',
        security: SECURITY.public,
        body: Type.Object({
          // From the password step's answer; an OAuth sign-in leaves it in the mfa_challenge cookie instead.
          mfaToken: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
          code: Code,
        }),
        response: { 200: SessionGrant },
      },
    },
    async (request, reply) => {
      const token = request.body.mfaToken ?? deps.mfaCookie.read(request)
      if (!token) throw errors.MFA_CHALLENGE_INVALID('Send the "mfaToken" of the sign-in step.')
      const { user, session } = await completeMfaChallenge(db, twoFactor, {
        token,
        code: request.body.code,
        now: clock(),
        client: clientInfo(request),
        sessionTtlSeconds: deps.sessionTtlSeconds,
      })
      deps.mfaCookie.clear(reply)
      return sendSessionGrant(deps, request, reply, { user, session })
    },
  )
}
