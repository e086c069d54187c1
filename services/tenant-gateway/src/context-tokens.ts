import type { ContextSigner } from '@gatehouse/service-kit'

/** Who an upstream is told is calling. */
export interface CallerContext {
  tenantId?: string
  userId?: string
  keyId?: string
  scopes: string[]
}

export interface MintedToken {
  token: string
  context: CallerContext
  audience: string
  /** The request that needed it first. */
  requestId: string
  issuedAt: Date
  expiresAt: Date
}

export interface ContextTokens {
  /** The x-gatehouse-context token for this caller and upstream: a live one, or a new one (onMint hears of it). */
  tokenFor(context: CallerContext, audience: string, request: { id: string; now: Date }): string
}

/**
 * Context tokens are minted once per caller (tenant, user, key, scopes) and upstream and reused for the first
 * half of their lifetime, so every token an upstream receives has at least half its TTL left. Signing, and
 * recording the token in verification_tokens, then happen once per caller and upstream every `ttlSeconds / 2`
 * instead of on every request (they were a third of the gateway's CPU under load). The request id therefore
 * travels only in x-request-id, not in the token. Revocation is unaffected: the caller is resolved on every
 * request before a token is chosen, and a changed key, role or scope is a different caller.
 */
export function createContextTokens(options: {
  signer: ContextSigner
  ttlSeconds: number
  onMint: (minted: MintedToken) => void
  maxCallers?: number
}): ContextTokens {
  const reuseMs = (options.ttlSeconds * 1000) / 2
  const maxCallers = options.maxCallers ?? 10_000
  const live = new Map<string, { token: string; reuseUntil: number }>()
  return {
    tokenFor(context, audience, { id: requestId, now }) {
      const key = `${audience}\n${context.tenantId ?? ''}\n${context.userId ?? ''}\n${context.keyId ?? ''}\n${context.scopes.join(' ')}`
      const cached = live.get(key)
      if (cached && now.getTime() < cached.reuseUntil) return cached.token
      const token = options.signer.sign(context, audience, now)
      live.delete(key)
      // Oldest first out: a Map iterates in insertion order.
      if (live.size >= maxCallers) live.delete(live.keys().next().value as string)
      live.set(key, { token, reuseUntil: now.getTime() + reuseMs })
      options.onMint({
        token,
        context,
        audience,
        requestId,
        issuedAt: now,
        expiresAt: new Date(now.getTime() + options.ttlSeconds * 1000),
      })
      return token
    },
  }
}
