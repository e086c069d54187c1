import { timingSafeEqual } from 'node:crypto'

/** Constant-time for equal lengths; a length mismatch returns false at once (lengths are not secret here). */
export function safeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const x = typeof a === 'string' ? Buffer.from(a, 'utf8') : a
  const y = typeof b === 'string' ? Buffer.from(b, 'utf8') : b
  return x.length === y.length && timingSafeEqual(x, y)
}
