import { randomBytes } from 'node:crypto'
import { type Algorithm, hash, hashSync, parseOptions, type Version, verify } from '@node-rs/argon2'

export interface PasswordHashParams {
  /** KiB */
  memoryCost: number
  timeCost: number
  parallelism: number
}

/** OWASP minimum for argon2id. */
export const PASSWORD_HASH_PARAMS: Readonly<PasswordHashParams> = Object.freeze({
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
})

/** Longer inputs are refused so a huge "password" cannot be used to burn CPU. */
export const MAX_PASSWORD_BYTES = 1024

// The package's enums are ambient `const enum`s, which isolatedModules cannot read.
const ARGON2ID = 2 as Algorithm
const V0x13 = 1 as Version

function isTooLong(password: string): boolean {
  return Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES
}

function options(params: PasswordHashParams) {
  return {
    algorithm: ARGON2ID,
    version: V0x13,
    memoryCost: params.memoryCost,
    timeCost: params.timeCost,
    parallelism: params.parallelism,
  }
}

/** Returns a PHC string: `$argon2id$v=19$m=…,t=…,p=…$salt$hash`. Rejects passwords over 1024 UTF-8 bytes. */
export async function hashPassword(
  password: string,
  params: PasswordHashParams = PASSWORD_HASH_PARAMS,
): Promise<string> {
  if (isTooLong(password)) throw new RangeError(`password longer than ${MAX_PASSWORD_BYTES} bytes`)
  return hash(password, options(params))
}

/** False, never a rejection, for a malformed hash or an over-long password (no stored hash can match it). */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  if (isTooLong(password)) return false
  try {
    return await verify(hash, password)
  } catch {
    return false
  }
}

/** True when the stored hash is not argon2id v19 with exactly these m, t, p (or cannot be parsed). */
export function passwordNeedsRehash(
  hash: string,
  params: PasswordHashParams = PASSWORD_HASH_PARAMS,
): boolean {
  try {
    const stored = parseOptions(hash)
    return (
      stored.algorithm !== ARGON2ID ||
      stored.version !== V0x13 ||
      stored.memoryCost !== params.memoryCost ||
      stored.timeCost !== params.timeCost ||
      stored.parallelism !== params.parallelism
    )
  } catch {
    return true
  }
}

/**
 * A valid hash of a random, discarded password, made once at module load (one ~15 ms hash) with
 * PASSWORD_HASH_PARAMS. Verify against it when the user does not exist so that path costs the same
 * as a wrong password; it never matches anything.
 */
export const DUMMY_PASSWORD_HASH: string = hashSync(randomBytes(32), options(PASSWORD_HASH_PARAMS))
