import type { Clock } from '@gatehouse/service-kit'
import type { AuthApiLookups } from '../callers/auth-api-lookups.ts'
import { errors } from '../errors.ts'

export interface MemberUsers {
  /** 404 USER_NOT_FOUND unless auth-api has this user; 503 when auth-api cannot be asked. */
  assertExists(userId: string): Promise<void>
}

// Users are not deleted in auth-api: a user that exists keeps existing, so a yes is cached for long.
const KNOWN_TTL_MS = 10 * 60_000
const MAX_KNOWN = 10_000

/** A member is an auth-api user: asked of auth-api (its internal route), the answer cached when it is yes. */
export function createMemberUsers(deps: {
  lookups: Pick<AuthApiLookups, 'userExists'>
  clock: Clock
}): MemberUsers {
  const known = new Map<string, number>()
  return {
    async assertExists(userId) {
      const now = deps.clock().getTime()
      if ((known.get(userId) ?? 0) > now) return
      let exists: boolean
      try {
        exists = await deps.lookups.userExists(userId)
      } catch {
        throw errors.AUTH_UNAVAILABLE('Users cannot be looked up right now; retry shortly.')
      }
      if (!exists) throw errors.USER_NOT_FOUND('No auth-api user has this id.')
      known.delete(userId)
      if (known.size >= MAX_KNOWN) known.delete(known.keys().next().value as string)
      known.set(userId, now + KNOWN_TTL_MS)
    },
  }
}
