import { closeRedis, connectRedis, publishRevokedSessions } from '@gatehouse/service-kit'
import type { FastifyBaseLogger } from 'fastify'

/**
 * Tells the gateway which sessions ended (logout, logout-all, reuse detection, a deleted session), on Redis, so
 * their access tokens stop working there within a second. Best effort: the gateway also asks for a session's
 * status at most every KEY_CACHE_TTL_MS, which bounds a lost message (and is the only path without Redis).
 */
export interface SessionRevocations {
  revoked(sessionIds: readonly string[]): void
  close(): Promise<void>
}

export function createSessionRevocations(options: {
  redisUrl?: string
  log: FastifyBaseLogger
}): SessionRevocations {
  if (!options.redisUrl) return { revoked() {}, close: async () => {} }
  const redis = connectRedis(options.redisUrl, { log: options.log, role: 'session-revocations' })
  return {
    revoked(sessionIds) {
      publishRevokedSessions(redis, sessionIds).catch(() =>
        options.log.warn(
          { sessions: sessionIds.length },
          'session revocation not published; the gateway sees it within its cache bound',
        ),
      )
    },
    close: () => closeRedis(redis),
  }
}
