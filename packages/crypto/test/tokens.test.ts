import { describe, expect, it } from 'vitest'
import { randomToken, safeEqual } from '../src/index.ts'

describe('randomToken', () => {
  it('is 32 bytes of base64url by default', () => {
    const token = randomToken()
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(Buffer.from(token, 'base64url')).toHaveLength(32)
  })

  it('honours a larger size', () => {
    expect(Buffer.from(randomToken(48), 'base64url')).toHaveLength(48)
  })

  it('does not repeat', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => randomToken()))
    expect(tokens.size).toBe(1000)
  })

  it('refuses fewer than 32 bytes or a non-integer', () => {
    expect(() => randomToken(31)).toThrow(RangeError)
    expect(() => randomToken(0)).toThrow(RangeError)
    expect(() => randomToken(32.5)).toThrow(RangeError)
    expect(() => randomToken(Number.NaN)).toThrow(RangeError)
  })
})

describe('safeEqual', () => {
  it('compares strings and buffers by content', () => {
    expect(safeEqual('abc', 'abc')).toBe(true)
    expect(safeEqual('abc', 'abd')).toBe(false)
    expect(safeEqual(Buffer.from('abc'), 'abc')).toBe(true)
    expect(safeEqual('', '')).toBe(true)
  })

  it('returns false on length mismatch without throwing', () => {
    expect(safeEqual('abc', 'abcd')).toBe(false)
    expect(safeEqual(Buffer.alloc(0), 'a')).toBe(false)
  })

  it('compares UTF-8 bytes, not UTF-16 units', () => {
    expect(safeEqual('é', 'é')).toBe(true)
    expect(safeEqual('é', 'e\u0301')).toBe(false)
  })
})
