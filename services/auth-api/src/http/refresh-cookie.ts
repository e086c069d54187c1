import type { FastifyReply, FastifyRequest } from 'fastify'

export const REFRESH_COOKIE = 'refresh_token'
// Sent only to the auth endpoints, never to the rest of the site.
const COOKIE_PATH = '/api/auth'

export interface RefreshCookie {
  set(reply: FastifyReply, token: string, expiresAt: Date, now: Date): void
  clear(reply: FastifyReply): void
}

/** The refresh token's HttpOnly cookie; `secure` is COOKIE_SECURE. */
export function refreshCookie({ secure }: { secure: boolean }): RefreshCookie {
  const options = { path: COOKIE_PATH, httpOnly: true, secure, sameSite: 'strict' as const }
  return {
    set(reply, token, expiresAt, now) {
      const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - now.getTime()) / 1000))
      reply.setCookie(REFRESH_COOKIE, token, { ...options, maxAge })
    },
    clear(reply) {
      reply.clearCookie(REFRESH_COOKIE, options)
    },
  }
}

/** The body wins over the cookie: a non-browser client says exactly which token it means. */
export function presentedRefreshToken(
  request: FastifyRequest,
  fromBody: string | undefined,
): string | undefined {
  return fromBody ?? request.cookies[REFRESH_COOKIE]
}

/**
 * Browsers send Fetch Metadata (Sec-Fetch-*), which page scripts cannot forge or remove: they get the refresh
 * token only as an HttpOnly cookie, so an XSS cannot read it from a response body. Other clients get it in the body.
 */
export function wantsRefreshTokenInBody(request: FastifyRequest): boolean {
  return request.headers['sec-fetch-mode'] === undefined && request.headers['sec-fetch-site'] === undefined
}
