import type { FastifyReply, FastifyRequest } from 'fastify'
import { deriveKey, open, seal } from '../aead.ts'

export const OAUTH_STATE_COOKIE = 'oauth_state'
// Only the callback reads it. Lax: the callback is a top-level navigation started on the provider's site, which
// SameSite=Strict would strip the cookie from.
const COOKIE_PATH = '/api/auth/oauth'
const INFO = 'gatehouse/auth-api/oauth-state/v1'

/** What ties a callback to the browser that started the sign-in. */
export interface OAuthState {
  provider: string
  state: string
  nonce: string
  codeVerifier: string
  returnTo: string
  /** `link`: attach the identity to this signed-in user instead of signing in. */
  linkUserId?: string
  expiresAt: number
}

/**
 * The state, nonce and PKCE verifier of one sign-in, sealed (AES-256-GCM under a key from COOKIE_SECRET, bound
 * to the provider's name) into a short-lived HttpOnly cookie: nothing is stored server-side, and the browser can
 * neither read nor alter it.
 */
export interface OAuthStateCookie {
  set(reply: FastifyReply, state: OAuthState, maxAgeSeconds: number): void
  clear(reply: FastifyReply): void
  /** undefined when absent, sealed for another provider, tampered with, or expired. */
  read(request: FastifyRequest, provider: string, now: Date): OAuthState | undefined
}

export function oauthStateCookie({ secret, secure }: { secret: string; secure: boolean }): OAuthStateCookie {
  const key = deriveKey(secret, INFO)
  const options = { path: COOKIE_PATH, httpOnly: true, secure, sameSite: 'lax' as const }
  return {
    set(reply, state, maxAge) {
      reply.setCookie(OAUTH_STATE_COOKIE, seal(key, JSON.stringify(state), state.provider), {
        ...options,
        maxAge,
      })
    },
    clear(reply) {
      reply.clearCookie(OAUTH_STATE_COOKIE, options)
    },
    read(request, provider, now) {
      const sealed = request.cookies[OAUTH_STATE_COOKIE]
      const opened = sealed ? open(key, sealed, provider) : undefined
      if (!opened) return undefined
      const state = JSON.parse(opened) as OAuthState
      return state.provider === provider && state.expiresAt > now.getTime() ? state : undefined
    },
  }
}
