import { randomUUID } from 'node:crypto'
import { randomToken, safeEqual, sha256Hex } from '@gatehouse/crypto'

/**
 * Link and challenge tokens are `<row id>.<secret>`: the id selects the row, the secret (256 random bits) is
 * stored only as its SHA-256 and compared in constant time. A lookup by hash alone would compare in the index,
 * where timing is the database's.
 */
export interface MintedToken {
  id: string
  token: string
  hash: string
}

const TOKEN_SHAPE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/

export const ONE_TIME_TOKEN_MAX_LENGTH = 80

export function mintOneTimeToken(): MintedToken {
  const id = randomUUID()
  const secret = randomToken()
  return { id, token: `${id}.${secret}`, hash: sha256Hex(secret) }
}

export interface PresentedToken {
  id: string
  secret: string
}

/** undefined for anything that is not one of our tokens: refused before touching the database. */
export function parseOneTimeToken(token: string): PresentedToken | undefined {
  const match = TOKEN_SHAPE.exec(token)
  return match?.[1] && match[2] ? { id: match[1], secret: match[2] } : undefined
}

export function secretMatches(presented: PresentedToken, storedHash: string): boolean {
  return safeEqual(sha256Hex(presented.secret), storedHash)
}
