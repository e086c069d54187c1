import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

// The successor of a rotated refresh token is kept for the grace window encrypted under a key derived from
// the rotated token itself. Only its hash is stored, so the database alone cannot open the box: only a client
// that presents the rotated token again can, and it gets back exactly the successor it (or its other tab) got.
const INFO = 'gatehouse/auth-api/refresh-successor/v1'
const IV_BYTES = 12
const TAG_BYTES = 16

function keyFrom(parentToken: string): Buffer {
  return Buffer.from(hkdfSync('sha256', parentToken, Buffer.alloc(0), INFO, 32))
}

export function sealSuccessor(parentToken: string, successorToken: string): string {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', keyFrom(parentToken), iv)
  const body = Buffer.concat([cipher.update(successorToken, 'utf8'), cipher.final()])
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')
}

/** undefined when the box was not sealed for this parent token (or was tampered with). */
export function openSuccessor(parentToken: string, sealed: string): string | undefined {
  const raw = Buffer.from(sealed, 'base64url')
  if (raw.length <= IV_BYTES + TAG_BYTES) return undefined
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyFrom(parentToken), raw.subarray(0, IV_BYTES))
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES))
    return Buffer.concat([
      decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8')
  } catch {
    return undefined
  }
}
