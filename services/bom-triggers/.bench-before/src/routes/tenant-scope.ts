import { requireTenantCaller, type ServiceInstance } from '@gatehouse/service-kit'
import type { TenantSetup } from '../tenant-setup.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant of the gateway's signed caller context; every query of a tenant route filters on it. */
    tenantId: string
  }
}

/** Tenant routes: a verified caller with a tenant (401 otherwise), whose templates are copied on first contact. */
export function requireTenant(app: ServiceInstance, setup: TenantSetup): void {
  app.decorateRequest('tenantId', '')
  app.addHook('onRequest', async (request) => {
    request.tenantId = requireTenantCaller(request).tenantId
    await setup.ensure(request.tenantId)
  })
}
