import { type Algorithm, hash } from '@node-rs/argon2'
import { describe, expect, it } from 'vitest'
import {
  DUMMY_PASSWORD_HASH,
  hashPassword,
  MAX_PASSWORD_BYTES,
  PASSWORD_HASH_PARAMS,
  passwordNeedsRehash,
  verifyPassword,
} from '../src/index.ts'

describe('argon2id passwords', () => {
  it('hash with the OWASP parameters in PHC form', async () => {
    const stored = await hashPassword('correct horse battery staple')
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
    expect(PASSWORD_HASH_PARAMS).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 })
  })

  it('salt every hash', async () => {
    expect(await hashPassword('same')).not.toBe(await hashPassword('same'))
  })

  it('verify the right password only', async () => {
    const stored = await hashPassword('pässwörd 🔑')
    expect(await verifyPassword(stored, 'pässwörd 🔑')).toBe(true)
    expect(await verifyPassword(stored, 'passwörd 🔑')).toBe(false)
    expect(await verifyPassword(stored, '')).toBe(false)
  })

  it('return false for malformed hashes', async () => {
    for (const bad of [
      '',
      'garbage',
      '$argon2id$v=19$m=19456,t=2,p=1$xx$yy',
      '$2b$10$abcdefghijklmnopqrstuv',
    ]) {
      expect(await verifyPassword(bad, 'pw')).toBe(false)
    }
  })

  it('reject passwords over 1024 bytes (counted in UTF-8)', async () => {
    expect(MAX_PASSWORD_BYTES).toBe(1024)
    await expect(hashPassword('a'.repeat(1024))).resolves.toMatch(/^\$argon2id\$/)
    await expect(hashPassword('a'.repeat(1025))).rejects.toThrow(RangeError)
    await expect(hashPassword('é'.repeat(513))).rejects.toThrow(RangeError)
    expect(await verifyPassword(DUMMY_PASSWORD_HASH, 'a'.repeat(1025))).toBe(false)
  })

  it('flag hashes made with other parameters or algorithms for rehash', async () => {
    expect(passwordNeedsRehash(await hashPassword('pw'))).toBe(false)
    const weaker = { memoryCost: 8192, timeCost: 2, parallelism: 1 }
    expect(passwordNeedsRehash(await hashPassword('pw', weaker))).toBe(true)
    expect(passwordNeedsRehash(await hashPassword('pw', { ...PASSWORD_HASH_PARAMS, timeCost: 3 }))).toBe(true)
    expect(passwordNeedsRehash(await hashPassword('pw', weaker), weaker)).toBe(false)
    const argon2i = await hash('pw', { algorithm: 1 as Algorithm, ...PASSWORD_HASH_PARAMS })
    expect(argon2i).toMatch(/^\$argon2i\$/)
    expect(passwordNeedsRehash(argon2i)).toBe(true)
    expect(passwordNeedsRehash('$2b$10$abcdefghijklmnopqrstuv')).toBe(true)
    expect(passwordNeedsRehash('garbage')).toBe(true)
  })

  it('provide a dummy hash with the current parameters that matches nothing obvious', async () => {
    expect(passwordNeedsRehash(DUMMY_PASSWORD_HASH)).toBe(false)
    expect(await verifyPassword(DUMMY_PASSWORD_HASH, '')).toBe(false)
    expect(await verifyPassword(DUMMY_PASSWORD_HASH, 'password')).toBe(false)
  })

  // P-H-C/phc-winner-argon2 src/test.c, Argon2id v=19 (password/salt only; the RFC 9106 vector
  // needs associated data, which @node-rs/argon2 cannot take).
  it.each([
    '$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc',
    '$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4',
    '$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc',
  ])('match the reference implementation vector %s', async (vector) => {
    expect(await verifyPassword(vector, 'password')).toBe(true)
    expect(await verifyPassword(vector, 'Password')).toBe(false)
    expect(passwordNeedsRehash(vector)).toBe(true)
  })

  it('reproduce the reference vector from password and salt', async () => {
    const encoded = await hash('password', {
      memoryCost: 65536,
      timeCost: 2,
      parallelism: 1,
      salt: Buffer.from('somesalt'),
    })
    expect(encoded).toBe(
      '$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc',
    )
  })
})
