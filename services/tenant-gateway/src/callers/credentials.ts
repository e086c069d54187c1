import type { IncomingHttpHeaders } from 'node:http'

export type Credential = { kind: 'api-key'; value: string } | { kind: 'user-token'; value: string }

/** A compact JWS has three dot-separated parts; API keys never contain a dot. */
export function looksLikeJwt(value: string): boolean {
  return value.split('.').length === 3
}

/** `x-api-key: <key>`, or `Authorization: Bearer <key | user access JWT>`. */
export function credentialOf(headers: IncomingHttpHeaders): Credential | undefined {
  const apiKey = headers['x-api-key']
  if (typeof apiKey === 'string' && apiKey.trim() !== '') return { kind: 'api-key', value: apiKey.trim() }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')
  if (!match) return undefined
  const value = match[1]!
  return looksLikeJwt(value) ? { kind: 'user-token', value } : { kind: 'api-key', value }
}
