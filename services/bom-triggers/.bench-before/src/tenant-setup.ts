import type { Database } from '@gatehouse/db-kit'
import type { Clock } from '@gatehouse/service-kit'
import { sql } from 'drizzle-orm'
import { tenantSetups } from './db/schema/index.ts'

export interface TenantSetup {
  /** Copies the template catalogue and triggers into the tenant once; afterwards answers from memory. */
  ensure(tenantId: string): Promise<void>
}

/**
 * Seed 002's example triggers work for every tenant without setup: on a tenant's first call, the template rows
 * (tenant_id NULL) are copied into it, in one transaction with its tenant_setups row. The insert of that row
 * decides who copies: a concurrent first call waits on it, then finds it there and copies nothing.
 */
export function createTenantSetup(db: Database, clock: Clock): TenantSetup {
  const ready = new Set<string>()
  const inFlight = new Map<string, Promise<void>>()

  const provision = async (tenantId: string) => {
    const now = clock()
    // As text: drizzle's postgres.js client passes parameters through unserialized, and a Date is not text.
    const at = now.toISOString()
    await db.transaction(async (tx) => {
      const claimed = await tx
        .insert(tenantSetups)
        .values({ tenantId, provisionedAt: now })
        .onConflictDoNothing()
        .returning({ tenantId: tenantSetups.tenantId })
      if (claimed.length === 0) return
      await tx.execute(sql`
        insert into materials (tenant_id, sku, name, unit, unit_cost, created_at, updated_at)
        select ${tenantId}::uuid, sku, name, unit, unit_cost, ${at}::timestamptz, ${at}::timestamptz
        from materials where tenant_id is null
        on conflict do nothing`)
      await tx.execute(sql`
        insert into bom_triggers (tenant_id, name, description, trigger_event, action_type, conditions,
                                  action_config, priority, is_active, abort_on_error, created_at, updated_at)
        select ${tenantId}::uuid, name, description, trigger_event, action_type, conditions,
               action_config, priority, is_active, abort_on_error, ${at}::timestamptz, ${at}::timestamptz
        from bom_triggers where tenant_id is null`)
    })
  }

  return {
    async ensure(tenantId) {
      if (ready.has(tenantId)) return
      let running = inFlight.get(tenantId)
      if (!running) {
        running = provision(tenantId).finally(() => inFlight.delete(tenantId))
        inFlight.set(tenantId, running)
      }
      await running
      ready.add(tenantId)
    },
  }
}
