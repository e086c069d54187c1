import { randomInt } from 'node:crypto'
import { crc32 } from 'node:zlib'

// Key layout: <prefix><43 base62 random chars><6 base62 chars of CRC32(prefix + random)>.
// 62^43 > 2^256; 62^6 > 2^32. CRC32 only catches typos before a lookup; it is not a security check.
export const API_KEY_PREFIX = 'gh_'
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const RANDOM_CHARS = 43
const CHECKSUM_CHARS = 6
const BODY = new RegExp(`^[0-9A-Za-z]{${RANDOM_CHARS + CHECKSUM_CHARS}}$`)
const PREFIX = /^[a-z][a-z0-9_]{0,14}_$/
const DISPLAY_PREFIX_CHARS = 12

function assertPrefix(prefix: string): void {
  if (!PREFIX.test(prefix)) throw new RangeError(`invalid API key prefix: ${JSON.stringify(prefix)}`)
}

function checksum(text: string): string {
  let n = crc32(text)
  let out = ''
  for (let i = 0; i < CHECKSUM_CHARS; i++) {
    out = BASE62[n % 62] + out
    n = Math.floor(n / 62)
  }
  return out
}

export function generateApiKey(opts: { prefix?: string } = {}): { key: string; displayPrefix: string } {
  const prefix = opts.prefix ?? API_KEY_PREFIX
  assertPrefix(prefix)
  let head = prefix
  for (let i = 0; i < RANDOM_CHARS; i++) head += BASE62[randomInt(62)]
  const key = head + checksum(head)
  return { key, displayPrefix: apiKeyDisplayPrefix(key) }
}

/** Cheap shape + checksum test, meant to run before any database lookup. */
export function isWellFormedApiKey(key: string, opts: { prefix?: string } = {}): boolean {
  const prefix = opts.prefix ?? API_KEY_PREFIX
  if (typeof key !== 'string' || !key.startsWith(prefix)) return false
  const body = key.slice(prefix.length)
  if (!BODY.test(body)) return false
  const head = key.slice(0, key.length - CHECKSUM_CHARS)
  return key.slice(-CHECKSUM_CHARS) === checksum(head)
}

/** First 12 characters: enough to tell keys apart in a listing, far too few to matter for guessing. */
export function apiKeyDisplayPrefix(key: string): string {
  return key.slice(0, DISPLAY_PREFIX_CHARS)
}
