import type { IncomingHttpHeaders } from 'node:http'
import type { Database } from '@gatehouse/db-kit'
import type { Caller, TenantCaller } from '@gatehouse/service-kit'
import { errors } from '../errors.ts'
import type { RateLimitPolicy } from '../infra/rate-limit.ts'
import type { TenantScopedCache } from '../keys/key-cache.ts'
import type { KeyVerifier } from '../keys/key-verification.ts'
import { findAccess, type TenantAccess } from '../tenants/memberships.ts'
import type { TenantQuota } from '../tenants/plans.ts'
import { credentialOf } from './credentials.ts'
import type { UserTokenVerifier } from './user-tokens.ts'

export const TENANT_HEADER = 'x-tenant-id'

/** A tenant route's caller, and the tenant's budget beside it (the budget is the gateway's, upstreams never see it). */
export interface ResolvedTenant {
  caller: TenantCaller
  rateLimit: RateLimitPolicy
  quota: TenantQuota
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function tenantHeaderOf(headers: IncomingHttpHeaders): string | undefined {
  const value = headers[TENANT_HEADER]
  if (value === undefined || value === '') return undefined
  if (typeof value !== 'string' || !UUID.test(value)) {
    throw errors.TENANT_REQUIRED(`${TENANT_HEADER} must be a tenant id.`)
  }
  return value.toLowerCase()
}

export interface TenantResolver {
  /** Tenant routes: an API key (its tenant), or a user token plus x-tenant-id naming a tenant they belong to. */
  requireTenant(headers: IncomingHttpHeaders): Promise<ResolvedTenant>
  /** Public routes: the user of a valid access token, if any; a bad or missing one is the upstream's business. */
  optionalUser(headers: IncomingHttpHeaders): Promise<Caller | undefined>
}

export function createTenantResolver(deps: {
  db: Database
  keys: KeyVerifier
  users: UserTokenVerifier
  accessCache: TenantScopedCache<TenantAccess>
}): TenantResolver {
  const accessOf = async (clientId: string, userId: string): Promise<TenantAccess | undefined> => {
    const cacheKey = `${userId}\u0000${clientId}`
    const cached = deps.accessCache.get(cacheKey)
    if (cached) return cached
    const generation = deps.accessCache.generation
    const access = await findAccess(deps.db, clientId, userId)
    if (access) deps.accessCache.set(cacheKey, access, generation)
    return access
  }

  return {
    async requireTenant(headers) {
      const credential = credentialOf(headers)
      if (!credential) {
        throw errors.UNAUTHENTICATED(
          'Send an API key (Authorization: Bearer or x-api-key) or a user access token.',
        )
      }
      const requested = tenantHeaderOf(headers)
      if (credential.kind === 'api-key') {
        const check = await deps.keys.verify(credential.value)
        if (!check.valid) {
          if (check.reason === 'DISABLED') throw errors.TENANT_SUSPENDED('This tenant is suspended.')
          throw errors.API_KEY_INVALID('The API key is malformed, unknown, revoked or expired.', {
            reason: check.reason,
          })
        }
        const { key } = check
        if (requested && requested !== key.clientId) {
          throw errors.TENANT_MISMATCH(`The API key does not belong to the tenant named in ${TENANT_HEADER}.`)
        }
        return {
          caller: { tenantId: key.clientId, keyId: key.keyId, scopes: key.scopes },
          rateLimit: key.rateLimit,
          quota: key.quota,
        }
      }
      const { userId } = await deps.users.verify(credential.value)
      if (!requested)
        throw errors.TENANT_REQUIRED(`A user access token needs ${TENANT_HEADER} on this route.`)
      const access = await accessOf(requested, userId)
      if (!access) throw errors.TENANT_NOT_FOUND()
      if (!access.tenantActive) throw errors.TENANT_SUSPENDED('This tenant is suspended.')
      return {
        caller: { tenantId: requested, userId, scopes: [`role:${access.role}`] },
        rateLimit: access.rateLimit,
        quota: access.quota,
      }
    },

    async optionalUser(headers) {
      const credential = credentialOf(headers)
      if (credential?.kind !== 'user-token') return undefined
      try {
        const { userId } = await deps.users.verify(credential.value)
        return { userId, scopes: [] }
      } catch {
        return undefined
      }
    },
  }
}
