import { deriveKey, open, seal } from './aead.ts'

// The successor of a rotated refresh token is kept for the grace window encrypted under a key derived from
// the rotated token itself. Only its hash is stored, so the database alone cannot open the box: only a client
// that presents the rotated token again can, and it gets back exactly the successor it (or its other tab) got.
const INFO = 'gatehouse/auth-api/refresh-successor/v1'

export function sealSuccessor(parentToken: string, successorToken: string): string {
  return seal(deriveKey(parentToken, INFO), successorToken)
}

/** undefined when the box was not sealed for this parent token (or was tampered with). */
export function openSuccessor(parentToken: string, sealed: string): string | undefined {
  return open(deriveKey(parentToken, INFO), sealed)
}
