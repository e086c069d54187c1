import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

// AES-256-GCM boxes: iv (12 bytes) | ciphertext | tag (16 bytes), base64url. The one implementation behind the
// refresh-token successor seal, the TOTP secrets at rest and the OAuth state cookie.
const IV_BYTES = 12
const TAG_BYTES = 16

/** A 256-bit key for one purpose (`info`), derived from a secret with HKDF-SHA256. */
export function deriveKey(secret: string, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, 32))
}

/** `aad` binds the box to its context (e.g. the user id): it opens nowhere else. */
export function seal(key: Buffer, plaintext: string, aad?: string): string {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  if (aad !== undefined) cipher.setAAD(Buffer.from(aad, 'utf8'))
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')
}

/** undefined when the box was sealed under another key or context, or was tampered with. */
export function open(key: Buffer, sealed: string, aad?: string): string | undefined {
  const raw = Buffer.from(sealed, 'base64url')
  if (raw.length <= IV_BYTES + TAG_BYTES) return undefined
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES))
    if (aad !== undefined) decipher.setAAD(Buffer.from(aad, 'utf8'))
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES))
    return Buffer.concat([
      decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8')
  } catch {
    return undefined
  }
}
