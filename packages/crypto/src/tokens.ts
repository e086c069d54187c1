import { createHash, randomBytes } from 'node:crypto'

export const MIN_TOKEN_BYTES = 32

/** base64url of `bytes` random bytes (default 32 = 256 bits); fewer than 32 is refused. */
export function randomToken(bytes = MIN_TOKEN_BYTES): string {
  if (!Number.isInteger(bytes) || bytes < MIN_TOKEN_BYTES) {
    throw new RangeError(`randomToken needs an integer >= ${MIN_TOKEN_BYTES} bytes`)
  }
  return randomBytes(bytes).toString('base64url')
}

export function sha256Hex(input: string | Buffer): string {
  return createHash('sha256').update(input).digest('hex')
}
