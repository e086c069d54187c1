import { MAX_PASSWORD_BYTES } from '@gatehouse/crypto'
import { errors } from './errors.ts'

export const MIN_PASSWORD_LENGTH = 8

// The very most common passwords (and the seed's demo password): a breached-password service would catch far
// more, but needs the network.
const COMMON_PASSWORDS = new Set([
  '12345678',
  '123456789',
  '1234567890',
  '11111111',
  '87654321',
  'password',
  'password1',
  'password123',
  'passw0rd',
  'qwertyui',
  'qwerty123',
  'qwertyuiop',
  '1q2w3e4r',
  'iloveyou',
  'letmein1',
  'welcome1',
  'admin123',
  'abc12345',
  'sunshine',
  'football',
  'baseball',
  'superman',
  'trustno1',
])

/** NIST SP 800-63B style: length, not composition rules; refuse the common and the obvious. */
export function passwordProblems(password: string, context: { email: string; name: string }): string[] {
  const problems: string[] = []
  if ([...password].length < MIN_PASSWORD_LENGTH)
    problems.push(`must be at least ${MIN_PASSWORD_LENGTH} characters`)
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES)
    problems.push(`must be at most ${MAX_PASSWORD_BYTES} bytes`)
  const lower = password.toLowerCase()
  if (COMMON_PASSWORDS.has(lower)) problems.push('is too common')
  if (/^(.)\1*$/u.test(password)) problems.push('must not be one repeated character')
  const localPart = context.email.toLowerCase().split('@')[0] ?? ''
  if (lower === context.email.toLowerCase() || (localPart.length >= 4 && lower.includes(localPart))) {
    problems.push('must not contain your email address')
  }
  if (context.name.trim().length >= 4 && lower === context.name.trim().toLowerCase())
    problems.push('must not be your name')
  return problems
}

/** Throws AUTH_API_WEAK_PASSWORD listing every problem, with `path` naming the field that holds the password. */
export function assertPasswordPolicy(
  password: string,
  context: { email: string; name: string },
  path = '/body/password',
): void {
  const problems = passwordProblems(password, context)
  if (problems.length > 0) {
    throw errors.WEAK_PASSWORD(`The password ${problems.join('; ')}.`, {
      errors: problems.map((message) => ({ path, message })),
    })
  }
}
