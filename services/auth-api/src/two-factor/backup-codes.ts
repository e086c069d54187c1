import { randomInt } from 'node:crypto'

export const BACKUP_CODE_COUNT = 10
// No 0/o, 1/l/i: codes are read off paper. 10 characters of 31 ≈ 50 bits each.
const ALPHABET = '23456789abcdefghjkmnpqrstuvwxyz'
const LENGTH = 10

/** Shown once as `xxxxx-xxxxx`; stored only as a keyed hash of the normalised form. */
export function newBackupCodes(): string[] {
  return Array.from({ length: BACKUP_CODE_COUNT }, () => {
    let code = ''
    for (let i = 0; i < LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)]
    return `${code.slice(0, 5)}-${code.slice(5)}`
  })
}

/** Case, dashes and spaces do not matter; undefined for anything that cannot be a backup code. */
export function normalizeBackupCode(input: string): string | undefined {
  const code = input.toLowerCase().replace(/[\s-]/g, '')
  return code.length === LENGTH && [...code].every((c) => ALPHABET.includes(c)) ? code : undefined
}
