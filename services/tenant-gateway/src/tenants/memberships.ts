import type { Database } from '@gatehouse/db-kit'
import { and, asc, eq } from 'drizzle-orm'
import { clients, memberships } from '../db/schema/index.ts'
import { errors } from '../errors.ts'
import type { RateLimitPolicy } from '../infra/rate-limit.ts'
import { type TenantQuota, tenantPolicyOf, tenantQuotaOf } from './plans.ts'

export type Role = 'owner' | 'admin' | 'member'

const RANK: Record<Role, number> = { member: 1, admin: 2, owner: 3 }

export function hasRole(role: Role, atLeast: Role): boolean {
  return RANK[role] >= RANK[atLeast]
}

/** A user's standing in a tenant, as the proxy needs it (cached like a verified key). */
export interface TenantAccess {
  clientId: string
  userId: string
  role: Role
  tenantActive: boolean
  rateLimit: RateLimitPolicy
  quota: TenantQuota
}

export async function findAccess(
  db: Database,
  clientId: string,
  userId: string,
): Promise<TenantAccess | undefined> {
  const [row] = await db
    .select({
      role: memberships.role,
      status: clients.status,
      plan: clients.plan,
      rateLimitMax: clients.rateLimitMax,
      rateLimitWindowMs: clients.rateLimitWindowMs,
      monthlyRequestQuota: clients.monthlyRequestQuota,
      usageAlertPercent: clients.usageAlertPercent,
    })
    .from(memberships)
    .innerJoin(clients, eq(clients.id, memberships.clientId))
    .where(and(eq(memberships.clientId, clientId), eq(memberships.userId, userId)))
  if (!row) return undefined
  return {
    clientId,
    userId,
    role: row.role,
    tenantActive: row.status === 'active',
    rateLimit: tenantPolicyOf(row),
    quota: tenantQuotaOf(row),
  }
}

/**
 * Admin routes: a non-member gets 404 (a tenant's existence is not disclosed), a member below `atLeast` gets 403.
 * Always read from the database, never the cache: role changes apply to the very next admin request.
 */
export async function requireRole(
  db: Database,
  clientId: string,
  userId: string,
  atLeast: Role,
): Promise<Role> {
  const [row] = await db
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.clientId, clientId), eq(memberships.userId, userId)))
  if (!row) throw errors.TENANT_NOT_FOUND()
  if (!hasRole(row.role, atLeast)) throw errors.FORBIDDEN(`This action needs the ${atLeast} role.`)
  return row.role
}

export interface MemberView {
  userId: string
  role: Role
  createdAt: Date
}

export async function listMembers(db: Database, clientId: string): Promise<MemberView[]> {
  return db
    .select({ userId: memberships.userId, role: memberships.role, createdAt: memberships.createdAt })
    .from(memberships)
    .where(eq(memberships.clientId, clientId))
    .orderBy(asc(memberships.createdAt), asc(memberships.userId))
}

/**
 * Membership changes of one tenant run one at a time, its clients row being the lock (`no key update` leaves other
 * writers' foreign-key checks alone). So two owners demoting each other at once cannot leave it without an owner,
 * and one lock taken first cannot deadlock.
 */
async function lockTenantMemberships(tx: Database, clientId: string): Promise<void> {
  await tx.select({ id: clients.id }).from(clients).where(eq(clients.id, clientId)).for('no key update')
}

async function assertAnotherOwner(tx: Database, clientId: string, leavingUserId: string): Promise<void> {
  const owners = await tx
    .select({ userId: memberships.userId })
    .from(memberships)
    .where(and(eq(memberships.clientId, clientId), eq(memberships.role, 'owner')))
  if (!owners.some((owner) => owner.userId !== leavingUserId)) {
    throw errors.LAST_OWNER('A tenant must keep at least one owner.')
  }
}

/** Adds the user or changes their role. */
export async function putMember(
  db: Database,
  clientId: string,
  userId: string,
  role: Role,
  now: Date,
): Promise<MemberView> {
  return db.transaction(async (tx) => {
    await lockTenantMemberships(tx, clientId)
    const [existing] = await tx
      .select({ role: memberships.role })
      .from(memberships)
      .where(and(eq(memberships.clientId, clientId), eq(memberships.userId, userId)))
    if (existing?.role === 'owner' && role !== 'owner') await assertAnotherOwner(tx, clientId, userId)
    const [row] = await tx
      .insert(memberships)
      .values({ clientId, userId, role, createdAt: now })
      .onConflictDoUpdate({ target: [memberships.clientId, memberships.userId], set: { role } })
      .returning({ userId: memberships.userId, role: memberships.role, createdAt: memberships.createdAt })
    return row!
  })
}

export async function removeMember(db: Database, clientId: string, userId: string): Promise<void> {
  await db.transaction(async (tx) => {
    await lockTenantMemberships(tx, clientId)
    const [existing] = await tx
      .select({ role: memberships.role })
      .from(memberships)
      .where(and(eq(memberships.clientId, clientId), eq(memberships.userId, userId)))
    if (!existing) throw errors.MEMBER_NOT_FOUND()
    if (existing.role === 'owner') await assertAnotherOwner(tx, clientId, userId)
    await tx
      .delete(memberships)
      .where(and(eq(memberships.clientId, clientId), eq(memberships.userId, userId)))
  })
}
