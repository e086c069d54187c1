import type { KeyObject } from 'node:crypto'
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose'

export type SigningAlg = 'EdDSA' | 'ES256'

export interface SigningKey {
  kid: string
  alg: SigningAlg
  privateKey: CryptoKey | KeyObject
  /** Safe to publish in a JWKS. */
  publicJwk: JWK
  /** Secret: store encrypted or in a secret store. */
  privateJwk: JWK
}

const CURVE: Record<SigningAlg, { kty: string; crv: string }> = {
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
  ES256: { kty: 'EC', crv: 'P-256' },
}

function isSigningAlg(alg: unknown): alg is SigningAlg {
  return alg === 'EdDSA' || alg === 'ES256'
}

function publicPart(jwk: JWK): JWK {
  const { kty, crv, x, y } = jwk
  return y === undefined ? { kty, crv, x } : { kty, crv, x, y }
}

async function withMetadata(
  privateJwk: JWK,
  alg: SigningAlg,
  kid?: string,
): Promise<Omit<SigningKey, 'privateKey'>> {
  const publicJwk = publicPart(privateJwk)
  const id = kid ?? (await calculateJwkThumbprint(publicJwk))
  const meta = { kid: id, alg, use: 'sig' }
  return { kid: id, alg, publicJwk: { ...publicJwk, ...meta }, privateJwk: { ...privateJwk, ...meta } }
}

/** kid is the RFC 7638 SHA-256 thumbprint of the public key. */
export async function generateSigningKey(alg: SigningAlg = 'EdDSA'): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = await exportJWK(privateKey)
  return { privateKey, ...(await withMetadata(jwk, alg)) }
}

/** Reads alg (must be EdDSA or ES256) and kid from the JWK; a missing kid is recomputed as the thumbprint. */
export async function importSigningKey(privateJwk: JWK): Promise<SigningKey> {
  const { alg, kid } = privateJwk
  if (!isSigningAlg(alg)) throw new Error(`unsupported signing alg: ${String(alg)}`)
  const want = CURVE[alg]
  if (privateJwk.kty !== want.kty || privateJwk.crv !== want.crv || typeof privateJwk.d !== 'string') {
    throw new Error(`JWK is not a ${want.crv} private key`)
  }
  const privateKey = await importJWK(privateJwk, alg)
  if (privateKey instanceof Uint8Array) throw new Error('expected an asymmetric key')
  return { privateKey, ...(await withMetadata(privateJwk, alg, kid)) }
}
