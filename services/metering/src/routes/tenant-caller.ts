import { requireTenantCaller, type TenantCaller } from '@gatehouse/service-kit'
import type { FastifyRequest } from 'fastify'

/** The tenant from the gateway's signed context (401 without one), its uuid in PostgreSQL's spelling. */
export function tenantOf(request: FastifyRequest): TenantCaller {
  const caller = requireTenantCaller(request)
  return { ...caller, tenantId: caller.tenantId.toLowerCase() }
}

/** Who did it, for the record: the user when a person called, else the API key. */
export function actorOf(caller: TenantCaller): string {
  if (caller.userId) return `user:${caller.userId}`
  if (caller.keyId) return `key:${caller.keyId}`
  return `tenant:${caller.tenantId}`
}
