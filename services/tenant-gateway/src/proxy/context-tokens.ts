import type { Caller, ContextSigner } from '@gatehouse/service-kit'

export interface MintedToken {
  token: string
  caller: Caller
  audience: string
  /** The request that needed it first. */
  requestId: string
  issuedAt: Date
  expiresAt: Date
}

export interface ContextTokens {
  /** The x-gatehouse-context token for this caller and upstream: a live one, or a new one (onMint hears of it). */
  tokenFor(caller: Caller, audience: string, request: { id: string; now: Date }): string
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
    tokenFor(caller, audience, { id: requestId, now }) {
      const key = `${audience}\n${caller.tenantId ?? ''}\n${caller.userId ?? ''}\n${caller.keyId ?? ''}\n${caller.scopes.join(' ')}`
      const cached = live.get(key)
      if (cached && now.getTime() < cached.reuseUntil) return cached.token
      const token = options.signer.sign(caller, audience, now)
      live.delete(key)
      // Oldest first out: a Map iterates in insertion order.
      if (live.size >= maxCallers) live.delete(live.keys().next().value as string)
      live.set(key, { token, reuseUntil: now.getTime() + reuseMs })
      options.onMint({
        token,
        caller,
        audience,
        requestId,
        issuedAt: now,
        expiresAt: new Date(now.getTime() + options.ttlSeconds * 1000),
      })
      return token
    },
  }
}
