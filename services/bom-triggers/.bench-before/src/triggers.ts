import type { Database } from '@gatehouse/db-kit'
import { and, asc, count, desc, eq, ilike, sql } from 'drizzle-orm'
import { ACTIONS } from './actions/index.ts'
import { type BomTrigger, bomTriggers, tenantSetups } from './db/schema/index.ts'
import { compileConditions, type FieldError } from './engine/conditions.ts'
import { errors } from './errors.ts'
import { schemaErrors } from './field-errors.ts'
import type { ActionType, TriggerEvent } from './vocabulary.ts'
import { deriveWebhookSecret } from './webhooks/index.ts'

export interface TriggerDefinition {
  name: string
  description?: string | null
  triggerEvent: TriggerEvent
  actionType: ActionType
  conditions?: unknown
  actionConfig?: unknown
  priority?: number
  isActive?: boolean
  abortOnError?: boolean
}

export interface TriggerSettings {
  allowPrivateNetworks: boolean
  maxPerTenant: number
}

/**
 * The seed's DTO validation: conditions against the trigger's event, action_config against its action type's
 * schema, then what only the database knows (the SKU is in the catalogue). Every error names its path.
 */
async function validate(
  db: Database,
  tenantId: string,
  definition: TriggerDefinition,
  settings: TriggerSettings,
): Promise<void> {
  const conditions = compileConditions(definition.conditions ?? {}, definition.triggerEvent)
  const conditionErrors: FieldError[] = conditions.ok ? [] : conditions.errors
  const action = ACTIONS[definition.actionType]
  const config = definition.actionConfig ?? {}
  let configErrors = schemaErrors(action.schema, config, '/actionConfig')
  if (configErrors.length === 0) {
    configErrors = await action.check(config, {
      db,
      tenantId,
      allowPrivateNetworks: settings.allowPrivateNetworks,
    })
  }
  const all = [...conditionErrors, ...configErrors]
  if (all.length === 0) return
  const detail = `${all.length} problem${all.length === 1 ? '' : 's'} in the trigger definition.`
  throw conditionErrors.length > 0
    ? errors.INVALID_CONDITIONS(detail, { errors: all })
    : errors.INVALID_ACTION_CONFIG(detail, { errors: all })
}

const columnsOf = (definition: TriggerDefinition) => ({
  name: definition.name,
  description: definition.description ?? null,
  triggerEvent: definition.triggerEvent,
  actionType: definition.actionType,
  conditions: definition.conditions ?? {},
  actionConfig: definition.actionConfig ?? {},
  priority: definition.priority ?? 0,
  isActive: definition.isActive ?? true,
  abortOnError: definition.abortOnError ?? false,
})

export async function createTrigger(
  db: Database,
  tenantId: string,
  definition: TriggerDefinition,
  settings: TriggerSettings,
  now: Date,
): Promise<BomTrigger> {
  return db.transaction(async (tx) => {
    // Serializes creations per tenant, so concurrent ones cannot pass the limit together.
    await tx.select().from(tenantSetups).where(eq(tenantSetups.tenantId, tenantId)).for('update')
    const [existing] = await tx
      .select({ n: count() })
      .from(bomTriggers)
      .where(eq(bomTriggers.tenantId, tenantId))
    if ((existing?.n ?? 0) >= settings.maxPerTenant)
      throw errors.TRIGGER_LIMIT_REACHED(`A tenant may have at most ${settings.maxPerTenant} triggers.`)
    await validate(tx, tenantId, definition, settings)
    const [created] = await tx
      .insert(bomTriggers)
      .values({ ...columnsOf(definition), tenantId, createdAt: now, updatedAt: now })
      .returning()
    if (!created) throw new Error('insert returned no row')
    return created
  })
}

export async function getTrigger(db: Database, tenantId: string, id: string): Promise<BomTrigger> {
  const [trigger] = await db
    .select()
    .from(bomTriggers)
    .where(and(eq(bomTriggers.tenantId, tenantId), eq(bomTriggers.id, id)))
  if (!trigger) throw errors.TRIGGER_NOT_FOUND()
  return trigger
}

/** Any subset of the definition; the result is validated as a whole (a new event re-checks the conditions). */
export async function updateTrigger(
  db: Database,
  tenantId: string,
  id: string,
  changes: Partial<TriggerDefinition>,
  settings: TriggerSettings,
  now: Date,
): Promise<BomTrigger> {
  return db.transaction(async (tx) => {
    const [current] = await tx
      .select()
      .from(bomTriggers)
      .where(and(eq(bomTriggers.tenantId, tenantId), eq(bomTriggers.id, id)))
      .for('update')
    if (!current) throw errors.TRIGGER_NOT_FOUND()
    const merged: TriggerDefinition = {
      ...(current as Omit<BomTrigger, 'triggerEvent' | 'actionType'> & TriggerDefinition),
      ...changes,
    }
    await validate(tx, tenantId, merged, settings)
    const [updated] = await tx
      .update(bomTriggers)
      .set({ ...columnsOf(merged), version: sql`${bomTriggers.version} + 1`, updatedAt: now })
      .where(eq(bomTriggers.id, id))
      .returning()
    if (!updated) throw errors.TRIGGER_NOT_FOUND()
    return updated
  })
}

export async function setTriggerActive(
  db: Database,
  tenantId: string,
  id: string,
  isActive: boolean,
  now: Date,
): Promise<BomTrigger> {
  const [updated] = await db
    .update(bomTriggers)
    .set({ isActive, version: sql`${bomTriggers.version} + 1`, updatedAt: now })
    .where(and(eq(bomTriggers.tenantId, tenantId), eq(bomTriggers.id, id)))
    .returning()
  if (!updated) throw errors.TRIGGER_NOT_FOUND()
  return updated
}

export async function deleteTrigger(db: Database, tenantId: string, id: string): Promise<void> {
  const removed = await db
    .delete(bomTriggers)
    .where(and(eq(bomTriggers.tenantId, tenantId), eq(bomTriggers.id, id)))
    .returning({ id: bomTriggers.id })
  if (removed.length === 0) throw errors.TRIGGER_NOT_FOUND()
}

/** All of a tenant's triggers (bounded by TRIGGERS_PER_TENANT_MAX), in execution order. */
export async function listTriggers(
  db: Database,
  tenantId: string,
  filter: { triggerEvent?: TriggerEvent; actionType?: ActionType; isActive?: boolean; search?: string },
): Promise<BomTrigger[]> {
  const search = filter.search ? `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : undefined
  return db
    .select()
    .from(bomTriggers)
    .where(
      and(
        eq(bomTriggers.tenantId, tenantId),
        filter.triggerEvent ? eq(bomTriggers.triggerEvent, filter.triggerEvent) : undefined,
        filter.actionType ? eq(bomTriggers.actionType, filter.actionType) : undefined,
        filter.isActive === undefined ? undefined : eq(bomTriggers.isActive, filter.isActive),
        search ? ilike(bomTriggers.name, search) : undefined,
      ),
    )
    .orderBy(
      asc(bomTriggers.triggerEvent),
      desc(bomTriggers.priority),
      asc(bomTriggers.createdAt),
      asc(bomTriggers.id),
    )
}

/** A NOTIFY trigger's Standard Webhooks secret: derived, never stored, the same for the trigger's whole life. */
export function webhookSecretOf(masterKey: string, tenantId: string, triggerId: string): string {
  return deriveWebhookSecret(masterKey, `bom-triggers/${tenantId}/${triggerId}`)
}

export async function triggerWebhookSecret(
  db: Database,
  masterKey: string,
  tenantId: string,
  id: string,
): Promise<string> {
  const trigger = await getTrigger(db, tenantId, id)
  if (trigger.actionType !== 'NOTIFY')
    throw errors.NOT_A_WEBHOOK_TRIGGER('Only NOTIFY triggers send webhooks.')
  return webhookSecretOf(masterKey, tenantId, id)
}

/** A receiver answered 410 Gone: like Svix, stop sending to it (the trigger is deactivated). */
export async function deactivateGoneEndpoint(
  db: Database,
  tenantId: string | null,
  triggerId: string,
  now: Date,
) {
  if (!tenantId) return
  await db
    .update(bomTriggers)
    .set({ isActive: false, version: sql`${bomTriggers.version} + 1`, updatedAt: now })
    .where(and(eq(bomTriggers.tenantId, tenantId), eq(bomTriggers.id, triggerId)))
}
