import { hmacSha256Hex, randomToken, sha256Hex } from '@gatehouse/crypto'

/**
 * The poll token (256 random bits) is the only secret a QR session is born with, and only its SHA-256 is stored.
 * The session's other secrets are derived from it with HMAC-SHA256, so the server can hand them out later
 * without ever storing them: the code of each QR (whose hash the scan is checked against) when the desktop
 * asks for the image, and the exchange token (whose hash is the seed's exchange_token) on the first poll after
 * approval. Whoever reads the database gets hashes only.
 */
export function newPollToken(): string {
  return randomToken()
}

/** The one-time code of the session's QR number `version` (128 bits, base64url). */
export function qrCodeFor(pollToken: string, version: number): string {
  return Buffer.from(hmacSha256Hex(pollToken, `qr-code:${version}`), 'hex')
    .subarray(0, 16)
    .toString('base64url')
}

/** The one-time exchange token (256 bits, hex). */
export function exchangeTokenFor(pollToken: string): string {
  return hmacSha256Hex(pollToken, 'qr-exchange')
}

export const digestOf = sha256Hex
