import type { Database } from '@gatehouse/db-kit'
import { type Clock, SECURITY, type ServiceInstance } from '@gatehouse/service-kit'
import Type from 'typebox'
import type { InvalidationBus } from '../infra/invalidation.ts'
import { requireRole } from './memberships.ts'
import { ADMIN_AUTH_PROBLEMS, roleProblems } from './problems.ts'
import { TenantParams, TenantView, TenantWithRole, UsageAlertBody, UsageAlertSetting } from './schemas.ts'
import { createTenant, getTenant, listTenantsOf, setTenantStatus, setUsageAlertPercent } from './tenants.ts'

export interface TenantRouteDeps {
  db: Database
  clock: Clock
  bus: Pick<InvalidationBus, 'publish'>
}

export async function tenantRoutes(app: ServiceInstance, { db, clock, bus }: TenantRouteDeps) {
  app.post(
    '/',
    {
      config: { problems: ADMIN_AUTH_PROBLEMS },
      schema: {
        summary: 'Create a tenant',
        description: 'The caller becomes its owner.',
        security: SECURITY.user,
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: { 201: TenantWithRole },
      },
    },
    async (request, reply) => {
      const tenant = await createTenant(db, request.body.name.trim(), request.userId, clock())
      return reply.code(201).send(tenant)
    },
  )

  app.get(
    '/',
    {
      config: { problems: ADMIN_AUTH_PROBLEMS },
      schema: {
        summary: 'List my tenants',
        description: 'Every tenant the caller is a member of, with the caller’s role.',
        security: SECURITY.user,
        response: { 200: Type.Object({ tenants: Type.Array(TenantWithRole) }) },
      },
    },
    async (request) => ({
      tenants: await listTenantsOf(db, request.userId),
    }),
  )

  app.get(
    '/:id',
    {
      config: { problems: [...ADMIN_AUTH_PROBLEMS, ...roleProblems('member')] },
      schema: {
        summary: 'Get a tenant',
        description: 'For its members; to anyone else the tenant does not exist.',
        security: SECURITY.user,
        params: TenantParams,
        response: { 200: TenantWithRole },
      },
    },
    async (request) => {
      const role = await requireRole(db, request.params.id, request.userId, 'member')
      return { ...(await getTenant(db, request.params.id)), role }
    },
  )

  for (const [action, status] of [
    ['suspend', 'suspended'],
    ['unsuspend', 'active'],
  ] as const) {
    app.post(
      `/:id/${action}`,
      {
        config: { problems: [...ADMIN_AUTH_PROBLEMS, ...roleProblems('owner')] },
        schema: {
          summary: action === 'suspend' ? 'Suspend a tenant' : 'Unsuspend a tenant',
          description:
            action === 'suspend'
              ? 'Owners only. Its API keys and members’ tokens stop working at the gateway at once.'
              : 'Owners only. Its API keys and members’ tokens work again.',
          security: SECURITY.user,
          params: TenantParams,
          response: { 200: TenantView },
        },
      },
      async (request) => {
        await requireRole(db, request.params.id, request.userId, 'owner')
        const tenant = await setTenantStatus(db, request.params.id, status)
        // Keys and memberships cached on every replica stop (or start) working with the tenant.
        await bus.publish(tenant.id)
        return tenant
      },
    )
  }

  // The soft usage alert (issue 15): owners and admins read and set it; the quota itself is the plan's or an
  // operator's override (clients.monthly_request_quota), never the tenant's own to raise.
  const alertProblems = [...ADMIN_AUTH_PROBLEMS, ...roleProblems('admin')]
  app.get(
    '/:id/usage-alert',
    {
      config: { problems: alertProblems },
      schema: {
        summary: 'Get the usage alert',
        description: 'Admins and owners. The soft threshold, in percent of the monthly quota.',
        security: SECURITY.user,
        params: TenantParams,
        response: { 200: UsageAlertSetting },
      },
    },
    async (request) => {
      await requireRole(db, request.params.id, request.userId, 'admin')
      const { usageAlertPercent } = await getTenant(db, request.params.id)
      return { usageAlertPercent }
    },
  )

  const setAlert = async (clientId: string, userId: string, percent: number | null) => {
    await requireRole(db, clientId, userId, 'admin')
    const tenant = await setUsageAlertPercent(db, clientId, percent)
    // Cached keys and memberships carry the setting to the quota tracker: refreshed on every replica.
    await bus.publish(tenant.id)
    return { usageAlertPercent: tenant.usageAlertPercent }
  }
  app.put(
    '/:id/usage-alert',
    {
      config: { problems: alertProblems },
      schema: {
        summary: 'Set the usage alert',
        description:
          'Admins and owners. Recorded once per month when usage passes this percent of the quota.',
        security: SECURITY.user,
        params: TenantParams,
        body: UsageAlertBody,
        response: { 200: UsageAlertSetting },
      },
    },
    async (request) => setAlert(request.params.id, request.userId, request.body.usageAlertPercent),
  )
  app.delete(
    '/:id/usage-alert',
    {
      config: { problems: alertProblems },
      schema: {
        summary: 'Clear the usage alert',
        description: 'Admins and owners. Reaching the quota itself is still recorded.',
        security: SECURITY.user,
        params: TenantParams,
        response: { 200: UsageAlertSetting },
      },
    },
    async (request) => setAlert(request.params.id, request.userId, null),
  )
}
