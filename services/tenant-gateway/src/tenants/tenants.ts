import type { Database } from '@gatehouse/db-kit'
import { asc, eq } from 'drizzle-orm'
import { clients, memberships } from '../db/schema/index.ts'
import { errors } from '../errors.ts'
import type { RateLimitPolicy } from '../infra/rate-limit.ts'
import type { Role } from './memberships.ts'
import { type Plan, tenantPolicyOf, tenantQuotaOf } from './plans.ts'

type ClientRow = typeof clients.$inferSelect

export interface TenantView {
  id: string
  name: string
  status: 'active' | 'suspended'
  plan: Plan
  rateLimit: RateLimitPolicy
  /** Requests per UTC month (the override, else the plan's); null: unlimited. */
  monthlyRequestQuota: number | null
  usageAlertPercent: number | null
  createdAt: Date
}

function tenantViewOf(row: ClientRow): TenantView {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    plan: row.plan,
    rateLimit: tenantPolicyOf(row),
    monthlyRequestQuota: tenantQuotaOf(row).limit,
    usageAlertPercent: row.usageAlertPercent,
    createdAt: row.createdAt,
  }
}

/** The creator becomes the owner, in the same transaction. */
export async function createTenant(
  db: Database,
  name: string,
  ownerUserId: string,
  now: Date,
): Promise<TenantView & { role: Role }> {
  return db.transaction(async (tx) => {
    const [row] = await tx.insert(clients).values({ name, createdAt: now }).returning()
    await tx
      .insert(memberships)
      .values({ clientId: row!.id, userId: ownerUserId, role: 'owner', createdAt: now })
    return { ...tenantViewOf(row!), role: 'owner' as const }
  })
}

export async function listTenantsOf(
  db: Database,
  userId: string,
): Promise<Array<TenantView & { role: Role }>> {
  const rows = await db
    .select({ client: clients, role: memberships.role })
    .from(memberships)
    .innerJoin(clients, eq(clients.id, memberships.clientId))
    .where(eq(memberships.userId, userId))
    .orderBy(asc(clients.createdAt), asc(clients.id))
  return rows.map(({ client, role }) => ({ ...tenantViewOf(client), role }))
}

export async function getTenant(db: Database, clientId: string): Promise<TenantView> {
  const [row] = await db.select().from(clients).where(eq(clients.id, clientId))
  if (!row) throw errors.TENANT_NOT_FOUND()
  return tenantViewOf(row)
}

export async function setTenantStatus(
  db: Database,
  clientId: string,
  status: TenantView['status'],
): Promise<TenantView> {
  const [row] = await db.update(clients).set({ status }).where(eq(clients.id, clientId)).returning()
  if (!row) throw errors.TENANT_NOT_FOUND()
  return tenantViewOf(row)
}

/** The tenant's soft usage threshold (percent of its monthly quota), or none. */
export async function setUsageAlertPercent(
  db: Database,
  clientId: string,
  percent: number | null,
): Promise<TenantView> {
  const [row] = await db
    .update(clients)
    .set({ usageAlertPercent: percent })
    .where(eq(clients.id, clientId))
    .returning()
  if (!row) throw errors.TENANT_NOT_FOUND()
  return tenantViewOf(row)
}
