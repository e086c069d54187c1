import type { Database } from '@gatehouse/db-kit'
import { type Clock, SECURITY, type ServiceInstance } from '@gatehouse/service-kit'
import Type from 'typebox'
import { errors } from '../errors.ts'
import type { InvalidationBus } from '../infra/invalidation.ts'
import type { MemberUsers } from './member-users.ts'
import { listMembers, putMember, removeMember, requireRole } from './memberships.ts'
import { ADMIN_AUTH_PROBLEMS, roleProblems } from './problems.ts'
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
    {
      config: { problems: [...ADMIN_AUTH_PROBLEMS, ...roleProblems('member')] },
      schema: {
        summary: 'List members',
        security: SECURITY.user,
        params: TenantParams,
        response: { 200: Type.Object({ members: Type.Array(MemberView) }) },
      },
    },
    async (request) => {
      await requireRole(db, request.params.id, request.userId, 'member')
      return { members: await listMembers(db, request.params.id) }
    },
  )

  app.put(
    '/:id/members/:userId',
    {
      // member-users.ts asks auth-api whether the user exists; putMember keeps the last owner.
      config: {
        problems: [
          ...ADMIN_AUTH_PROBLEMS,
          ...roleProblems('owner'),
          errors.USER_NOT_FOUND,
          errors.AUTH_UNAVAILABLE,
          errors.LAST_OWNER,
        ],
      },
      schema: {
        summary: 'Add a member or change their role',
        description: 'Owners only. The user must exist in auth-api; the last owner cannot be demoted.',
        security: SECURITY.user,
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
    {
      config: {
        problems: [
          ...ADMIN_AUTH_PROBLEMS,
          ...roleProblems('owner'),
          errors.MEMBER_NOT_FOUND,
          errors.LAST_OWNER,
        ],
      },
      schema: {
        summary: 'Remove a member',
        description: 'Owners only; the last owner cannot be removed.',
        security: SECURITY.user,
        params: TenantMemberParams,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const { id, userId } = request.params
      await requireRole(db, id, request.userId, 'owner')
      await removeMember(db, id, userId)
      await bus.publish(id)
      return reply.code(204).send(null)
    },
  )
}
