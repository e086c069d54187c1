import { createHmac, KeyObject, sign } from 'node:crypto'
import type { CryptoKey } from 'jose'

export type JwsAlg = 'EdDSA' | 'ES256' | 'HS256'

export interface JwsHeader {
  alg: JwsAlg
  [name: string]: unknown
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')

// A key signs many tokens: convert each WebCrypto key once.
const converted = new WeakMap<CryptoKey, KeyObject>()

function keyObject(key: CryptoKey | KeyObject | Uint8Array): KeyObject {
  if (key instanceof KeyObject) {
    if (key.type === 'secret') throw new TypeError('an asymmetric key is needed for EdDSA and ES256')
    return key
  }
  if (key instanceof Uint8Array) throw new TypeError('an asymmetric key is needed for EdDSA and ES256')
  let object = converted.get(key)
  if (!object) {
    object = KeyObject.from(key)
    converted.set(key, object)
  }
  return object
}

/**
 * Signs a compact JWS (a JWT when the payload is a claims set) synchronously with node:crypto. Tokens minted on
 * every request (access tokens on refresh) are signed here rather than with jose's SignJWT, which goes through
 * WebCrypto and costs about three times the CPU; the output is byte-identical to jose's for the same header and
 * payload (EdDSA and HS256 are deterministic; a test holds it). Verification stays with jose.
 */
export function signCompactJws(
  header: JwsHeader,
  payload: object,
  key: CryptoKey | KeyObject | Uint8Array,
): string {
  const input = `${base64url(header)}.${base64url(payload)}`
  let signature: Buffer
  if (header.alg === 'HS256') {
    if (!(key instanceof Uint8Array) && !(key instanceof KeyObject && key.type === 'secret'))
      throw new TypeError('HS256 needs the secret as bytes or a secret KeyObject')
    signature = createHmac('sha256', key).update(input).digest()
  } else if (header.alg === 'ES256') {
    signature = sign('sha256', Buffer.from(input), { key: keyObject(key), dsaEncoding: 'ieee-p1363' })
  } else {
    signature = sign(null, Buffer.from(input), keyObject(key))
  }
  return `${input}.${signature.toString('base64url')}`
}
