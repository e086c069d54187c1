import { describe, expect, it } from 'vitest'
import { createPepperedHasher, hmacSha256Hex, pepperVersionOf, randomToken, sha256Hex } from '../src/index.ts'

const rep = (byte: number, n: number) => Buffer.alloc(n, byte)
const hex = (s: string) => Buffer.from(s, 'hex')

describe('hmacSha256Hex — RFC 4231 section 4', () => {
  it.each([
    ['1', rep(0x0b, 20), 'Hi There', 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
    [
      '2',
      'Jefe',
      'what do ya want for nothing?',
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    ],
    ['3', rep(0xaa, 20), rep(0xdd, 50), '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe'],
    [
      '4',
      hex('0102030405060708090a0b0c0d0e0f10111213141516171819'),
      rep(0xcd, 50),
      '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
    ],
    [
      '6',
      rep(0xaa, 131),
      'Test Using Larger Than Block-Size Key - Hash Key First',
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    ],
    [
      '7',
      rep(0xaa, 131),
      'This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.',
      '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
    ],
  ] as const)('case %s', (_case, key, data, mac) => {
    expect(hmacSha256Hex(key, data)).toBe(mac)
  })

  it('case 5 (truncated to 128 bits)', () => {
    expect(hmacSha256Hex(rep(0x0c, 20), 'Test With Truncation').slice(0, 32)).toBe(
      'a3b6167473100ee06e0c796c2955552b',
    )
  })
})

describe('sha256Hex — FIPS 180 examples', () => {
  it.each([
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    [
      'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    ],
  ])('%j', (input, digest) => {
    expect(sha256Hex(input)).toBe(digest)
  })
})

describe('createPepperedHasher', () => {
  const oldPepper = randomToken()
  const newPepper = randomToken()

  it('hashes with the current pepper and its version', () => {
    const hasher = createPepperedHasher({ current: newPepper, currentVersion: 2 })
    expect(hasher.hash('key')).toEqual({ hash: hmacSha256Hex(newPepper, 'key'), pepperVersion: 2 })
    expect(hasher.candidates('key')).toEqual([{ ...hasher.hash('key'), isCurrent: true }])
  })

  it('derives versions from the pepper when none are given', () => {
    const hasher = createPepperedHasher({ current: newPepper, previous: oldPepper })
    const [current, previous] = hasher.candidates('key')
    expect(current?.pepperVersion).toBe(pepperVersionOf(newPepper))
    expect(previous?.pepperVersion).toBe(pepperVersionOf(oldPepper))
    expect(pepperVersionOf(newPepper)).toBe(Number.parseInt(sha256Hex(newPepper).slice(0, 7), 16))
    expect(pepperVersionOf(newPepper)).toBeLessThan(2 ** 31)
  })

  it('finds a key stored under the old pepper after rotation', () => {
    const before = createPepperedHasher({ current: oldPepper, currentVersion: 1 })
    const stored = before.hash('gh_secret')

    const after = createPepperedHasher({
      current: newPepper,
      currentVersion: 2,
      previous: oldPepper,
      previousVersion: 1,
    })
    const candidates = after.candidates('gh_secret')
    expect(candidates.map((c) => [c.pepperVersion, c.isCurrent])).toEqual([
      [2, true],
      [1, false],
    ])
    const match = candidates.find((c) => c.hash === stored.hash)
    expect(match).toEqual({ hash: stored.hash, pepperVersion: 1, isCurrent: false })
    // what the caller re-stores once the key has been seen
    expect(after.hash('gh_secret')).toEqual({ hash: candidates[0]?.hash, pepperVersion: 2 })
    expect(after.hash('gh_secret').hash).not.toBe(stored.hash)
  })

  it('refuses short peppers and colliding versions', () => {
    expect(() => createPepperedHasher({ current: 'short' })).toThrow(RangeError)
    expect(() => createPepperedHasher({ current: newPepper, previous: 'short' })).toThrow(RangeError)
    expect(() =>
      createPepperedHasher({
        current: newPepper,
        currentVersion: 1,
        previous: oldPepper,
        previousVersion: 1,
      }),
    ).toThrow(/collide/)
    expect(() => createPepperedHasher({ current: newPepper, previous: newPepper })).toThrow(/collide/)
  })
})
