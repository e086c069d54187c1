import type { Database } from '@gatehouse/db-kit'
import type { Clock, ServiceInstance } from '@gatehouse/service-kit'
import Type from 'typebox'
import type { InvalidationBus } from '../infra/invalidation.ts'
import type { MemberUsers } from './member-users.ts'
import { listMembers, putMember, removeMember, requireRole } from './memberships.ts'
import { MemberView, Role, TenantMemberParams, TenantParams } from './schemas.ts'

export interface MemberRouteDeps {
  db: Database
  clock: Clock
  bus: Pick<InvalidationBus, 'publish'>
  users: MemberUsers
}

/** Members see the member list; only owners add, re-role or remove members. */
export async function memberRoutes(app: ServiceInstance, { db, clock, bus, users }: MemberRouteDeps) {
  app.get(
    '/:id/members',
    { schema: { params: TenantParams, response: { 200: Type.Object({ members: Type.Array(MemberView) }) } } },
    async (request) => {
      await requireRole(db, request.params.id, request.userId, 'member')
      return { members: await listMembers(db, request.params.id) }
    },
  )

  app.put(
    '/:id/members/:userId',
    {
      schema: {
        params: TenantMemberParams,
        body: Type.Object({ role: Role }),
        response: { 200: MemberView },
      },
    },
    async (request) => {
      const { id, userId } = request.params
      await requireRole(db, id, request.userId, 'owner')
      await users.assertExists(userId)
      const member = await putMember(db, id, userId, request.body.role, clock())
      await bus.publish(id)
      return member
    },
  )

  app.delete(
    '/:id/members/:userId',
    { schema: { params: TenantMemberParams, response: { 204: Type.Null() } } },
    async (request, reply) => {
      const { id, userId } = request.params
      await requireRole(db, id, request.userId, 'owner')
      await removeMember(db, id, userId)
      await bus.publish(id)
      return reply.code(204).send(null)
    },
  )
}
