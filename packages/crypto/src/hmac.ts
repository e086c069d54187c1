import { createHmac } from 'node:crypto'
import { sha256Hex } from './tokens.ts'

/** Strings (key and input) are taken as UTF-8. */
export function hmacSha256Hex(key: string | Buffer, input: string | Buffer): string {
  return createHmac('sha256', key).update(input).digest('hex')
}

export interface PepperSet {
  current: string
  currentVersion?: number
  previous?: string
  previousVersion?: number
}

export interface PepperedHash {
  hash: string
  pepperVersion: number
}

/** A pepper is only worth its entropy: `randomToken()` output (43 chars) is the intended shape. */
export const MIN_PEPPER_BYTES = 32

/**
 * Version of a pepper when none is given: the first 7 hex digits of sha256(pepper), an integer
 * below 2^28 so it fits a Postgres `integer` column. It changes whenever the pepper does.
 */
export function pepperVersionOf(pepper: string): number {
  return Number.parseInt(sha256Hex(pepper).slice(0, 7), 16)
}

function checkPepper(pepper: string, name: string): void {
  if (Buffer.byteLength(pepper, 'utf8') < MIN_PEPPER_BYTES) {
    throw new RangeError(`${name} pepper must be at least ${MIN_PEPPER_BYTES} bytes`)
  }
}

export function createPepperedHasher(peppers: PepperSet): {
  hash(input: string): PepperedHash
  candidates(input: string): Array<PepperedHash & { isCurrent: boolean }>
} {
  checkPepper(peppers.current, 'current')
  const current = {
    pepper: peppers.current,
    version: peppers.currentVersion ?? pepperVersionOf(peppers.current),
  }
  let previous: typeof current | undefined
  if (peppers.previous !== undefined) {
    checkPepper(peppers.previous, 'previous')
    previous = {
      pepper: peppers.previous,
      version: peppers.previousVersion ?? pepperVersionOf(peppers.previous),
    }
    if (previous.version === current.version) throw new Error('current and previous pepper versions collide')
  }

  const hash = (input: string): PepperedHash => ({
    hash: hmacSha256Hex(current.pepper, input),
    pepperVersion: current.version,
  })

  return {
    hash,
    candidates(input) {
      const list = [{ ...hash(input), isCurrent: true }]
      if (previous) {
        list.push({
          hash: hmacSha256Hex(previous.pepper, input),
          pepperVersion: previous.version,
          isCurrent: false,
        })
      }
      return list
    },
  }
}
