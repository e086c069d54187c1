import type { FastifyReply, FastifyRequest } from 'fastify'

export const MFA_COOKIE = 'mfa_challenge'
// Sent only to the second step. Lax, not Strict: it is set on the OAuth callback, a navigation that a provider's
// page started.
const COOKIE_PATH = '/api/auth/2fa'

/** The challenge of an OAuth sign-in waiting for its second factor (a browser has no body to read it from). */
export interface MfaCookie {
  set(reply: FastifyReply, token: string, maxAgeSeconds: number): void
  clear(reply: FastifyReply): void
  read(request: FastifyRequest): string | undefined
}

export function mfaCookie({ secure }: { secure: boolean }): MfaCookie {
  const options = { path: COOKIE_PATH, httpOnly: true, secure, sameSite: 'lax' as const }
  return {
    set: (reply, token, maxAge) => void reply.setCookie(MFA_COOKIE, token, { ...options, maxAge }),
    clear: (reply) => void reply.clearCookie(MFA_COOKIE, options),
    read: (request) => request.cookies[MFA_COOKIE],
  }
}
