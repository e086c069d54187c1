import { crc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { apiKeyDisplayPrefix, generateApiKey, isWellFormedApiKey } from '../src/index.ts'

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

describe('API keys', () => {
  it('have the documented shape', () => {
    const { key, displayPrefix } = generateApiKey()
    expect(key).toMatch(/^gh_[0-9A-Za-z]{49}$/)
    expect(displayPrefix).toBe(key.slice(0, 12))
    expect(apiKeyDisplayPrefix(key)).toBe(displayPrefix)
    expect(isWellFormedApiKey(key)).toBe(true)
  })

  it('end in the base62 CRC32 of everything before the checksum', () => {
    const { key } = generateApiKey()
    let n = 0
    for (const c of key.slice(-6)) n = n * 62 + BASE62.indexOf(c)
    expect(n).toBe(crc32(key.slice(0, -6)))
  })

  it('are distinct', () => {
    const keys = new Set(Array.from({ length: 1000 }, () => generateApiKey().key))
    expect(keys.size).toBe(1000)
  })

  it('reject every single-character substitution', () => {
    for (let sample = 0; sample < 5; sample++) {
      const { key } = generateApiKey()
      for (let i = 0; i < key.length; i++) {
        for (const c of `${BASE62}_-`) {
          if (c === key[i]) continue
          const typo = key.slice(0, i) + c + key.slice(i + 1)
          expect(isWellFormedApiKey(typo), typo).toBe(false)
        }
      }
    }
  })

  it('reject wrong prefix, length or charset', () => {
    const { key } = generateApiKey()
    const body = key.slice(3)
    expect(isWellFormedApiKey(`sk_${body}`)).toBe(false)
    expect(isWellFormedApiKey(body)).toBe(false)
    expect(isWellFormedApiKey(key.slice(0, -1))).toBe(false)
    expect(isWellFormedApiKey(`${key}a`)).toBe(false)
    expect(isWellFormedApiKey(` ${key}`)).toBe(false)
    expect(isWellFormedApiKey('')).toBe(false)
  })

  it('support a custom prefix, checked on validation', () => {
    const { key, displayPrefix } = generateApiKey({ prefix: 'gh_test_' })
    expect(key).toMatch(/^gh_test_[0-9A-Za-z]{49}$/)
    expect(displayPrefix).toBe(key.slice(0, 12))
    expect(isWellFormedApiKey(key, { prefix: 'gh_test_' })).toBe(true)
    expect(isWellFormedApiKey(key)).toBe(false)
    expect(() => generateApiKey({ prefix: 'GH' })).toThrow(RangeError)
    expect(() => generateApiKey({ prefix: 'gh' })).toThrow(RangeError)
  })
})
