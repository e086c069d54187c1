export { AUDIT_EVENTS, type AuditEvent, auditLogs } from './audit-logs.ts'
export {
  EMAIL_TOKEN_PURPOSES,
  type EmailTokenPurpose,
  type EmailVerificationToken,
  emailVerificationTokens,
} from './email-verification-tokens.ts'
export { type Identity, identities } from './identities.ts'
export { type MfaChallenge, mfaChallenges } from './mfa-challenges.ts'
export { type PasswordResetToken, passwordResetTokens } from './password-reset-tokens.ts'
export { type RefreshToken, refreshTokens } from './refresh-tokens.ts'
export { type Session, sessions } from './sessions.ts'
export { signingKeys } from './signing-keys.ts'
export { twoFactorBackupCodes } from './two-factor-backup-codes.ts'
export { type User, users } from './users.ts'
