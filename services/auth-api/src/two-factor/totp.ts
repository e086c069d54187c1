import { Secret, TOTP } from 'otpauth'

// RFC 6238 as every authenticator app reads it: SHA-1, 6 digits, 30-second steps; one step of drift either way.
const PERIOD = 30
const DIGITS = 6
const WINDOW = 1
const SECRET_BYTES = 20

export function newTotpSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32
}

function totp(secret: string, issuer = '', label = ''): TOTP {
  return new TOTP({
    issuer,
    label,
    secret: Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: DIGITS,
    period: PERIOD,
  })
}

/** The otpauth:// URI an authenticator app reads from the QR code. */
export function totpUri(secret: string, issuer: string, label: string): string {
  return totp(secret, issuer, label).toString()
}

/**
 * The time step a code belongs to (for replay protection), or undefined when it matches none of the three
 * steps around `now`. otpauth compares in constant time.
 */
export function totpStep(secret: string, code: string, now: Date): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined
  const timestamp = now.getTime()
  const delta = totp(secret).validate({ token: code, timestamp, window: WINDOW })
  if (delta === null) return undefined
  return TOTP.counter({ period: PERIOD, timestamp }) + delta
}

/** The current code (tests, and nothing else in the service). */
export function totpCode(secret: string, at: Date): string {
  return totp(secret).generate({ timestamp: at.getTime() })
}
