import type { IncomingMessage, ServerResponse } from 'node:http'
import helmet, { type HelmetOptions } from 'helmet'

/**
 * helmet's defaults, made for an API: nothing in a response may load anything or be framed (CSP `default-src
 * 'none'`), no referrer, and HSTS kept apart (it is only sent where TLS is in use, see securityHeadersHook).
 */
const API_HELMET: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  },
  frameguard: { action: 'deny' },
  strictTransportSecurity: false,
}

export const HSTS_HEADER = 'max-age=31536000; includeSubDomains'

/**
 * The headers helmet's middleware sets, computed once. @fastify/helmet builds helmet's middleware again on every
 * request, in two hooks (one async): on the gateway's proxy path that is more work than the headers are worth.
 */
export function helmetHeaders(options: HelmetOptions = API_HELMET): Record<string, string> {
  const headers: Record<string, string> = {}
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = String(value)
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()]
    },
  }
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, () => {})
  return headers
}
