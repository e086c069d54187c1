import type { Redis } from 'ioredis'

/**
 * Where auth-api announces revoked sessions (logout, logout-all, reuse detection, a deleted session) and the
 * gateway listens, so an access token of a revoked session stops working everywhere within a second instead of
 * at its expiry. One message per revocation: the session ids, comma-separated.
 */
export const SESSION_REVOKED_CHANNEL = 'gatehouse:sessions:revoked'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export async function publishRevokedSessions(redis: Redis, sessionIds: readonly string[]): Promise<void> {
  if (sessionIds.length > 0) await redis.publish(SESSION_REVOKED_CHANNEL, sessionIds.join(','))
}

/** The session ids of one message; anything that is not a session id is ignored. */
export function revokedSessionsOf(message: string): string[] {
  return message.split(',').filter((id) => UUID.test(id))
}
