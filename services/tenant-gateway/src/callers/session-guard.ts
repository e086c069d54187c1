import { type Clock, revokedSessionsOf } from '@gatehouse/service-kit'
import { errors } from '../errors.ts'
import type { InvalidationBus } from '../infra/invalidation.ts'
import type { AuthApiLookups } from './auth-api-lookups.ts'

export interface SessionGuard {
  /**
   * Throws ACCESS_TOKEN_INVALID when the token's session was revoked (logout, logout-all, reuse detection, a
   * deleted session), AUTH_UNAVAILABLE when auth-api cannot say. Without a fresh answer cached, asks auth-api.
   */
  assertLive(sessionId: string): Promise<void>
}

interface Status {
  active: boolean
  freshUntilMs: number
}

const MAX_ENTRIES = 50_000

/**
 * A valid signature is not enough: auth-api may have ended the session since the token was minted. Two ways the
 * gateway learns it: auth-api publishes revoked session ids on Redis (heard within milliseconds, kept here until
 * every token of the session has expired), and each session's status is asked of auth-api and cached for
 * `cacheTtlMs` (KEY_CACHE_TTL_MS): the bound without Redis, or when a message is lost.
 */
export function createSessionGuard(deps: {
  lookups: Pick<AuthApiLookups, 'sessionActive'>
  /** Revoked session ids, from Redis (SESSION_REVOKED_CHANNEL). */
  revocations: Pick<InvalidationBus, 'subscribe'>
  cacheTtlMs: number
  /** The longest an access token lives: how long a revoked id must be remembered. */
  tokenLifetimeMs: number
  clock: Clock
}): SessionGuard {
  const revokedUntil = new Map<string, number>()
  const statuses = new Map<string, Status>()
  const asking = new Map<string, Promise<boolean>>()

  const remember = <V>(map: Map<string, V>, key: string, value: V) => {
    map.delete(key)
    // Oldest first out: a Map iterates in insertion order.
    if (map.size >= MAX_ENTRIES) map.delete(map.keys().next().value as string)
    map.set(key, value)
  }
  deps.revocations.subscribe((message) => {
    const until = deps.clock().getTime() + deps.tokenLifetimeMs
    for (const sessionId of revokedSessionsOf(message)) {
      remember(revokedUntil, sessionId, until)
      statuses.delete(sessionId)
    }
  })

  const ask = (sessionId: string): Promise<boolean> => {
    let pending = asking.get(sessionId)
    if (!pending) {
      pending = deps.lookups.sessionActive(sessionId).finally(() => asking.delete(sessionId))
      asking.set(sessionId, pending)
    }
    return pending
  }

  return {
    async assertLive(sessionId) {
      const now = deps.clock().getTime()
      const revoked = revokedUntil.get(sessionId)
      if (revoked !== undefined) {
        if (revoked > now) throw errors.ACCESS_TOKEN_INVALID('The session of this access token has ended.')
        revokedUntil.delete(sessionId)
      }
      const cached = statuses.get(sessionId)
      let active: boolean
      if (cached && cached.freshUntilMs > now) active = cached.active
      else {
        try {
          active = await ask(sessionId)
        } catch {
          throw errors.AUTH_UNAVAILABLE('Access tokens cannot be verified right now; retry shortly.')
        }
        // A revocation heard while asking wins over the answer.
        if (!revokedUntil.has(sessionId) && deps.cacheTtlMs > 0)
          remember(statuses, sessionId, { active, freshUntilMs: deps.clock().getTime() + deps.cacheTtlMs })
      }
      if (!active || revokedUntil.has(sessionId))
        throw errors.ACCESS_TOKEN_INVALID('The session of this access token has ended.')
    },
  }
}
