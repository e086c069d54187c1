import type { Database } from '@gatehouse/db-kit'
import { and, asc, eq, gt, ilike, or, sql } from 'drizzle-orm'
import { bomTriggers, type Material, materials, taskBomItems } from './db/schema/index.ts'
import { errors } from './errors.ts'

/** The tenant's material catalogue (`/api/materials`). SKUs are fixed once created: triggers name them. */

export interface MaterialInput {
  sku: string
  name: string
  unit: string
  unitCost: string
}

export async function listMaterials(
  db: Database,
  tenantId: string,
  filter: { search?: string; afterSku?: string; limit: number },
): Promise<Material[]> {
  const pattern = filter.search ? `%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : undefined
  return db
    .select()
    .from(materials)
    .where(
      and(
        eq(materials.tenantId, tenantId),
        pattern ? or(ilike(materials.sku, pattern), ilike(materials.name, pattern)) : undefined,
        filter.afterSku === undefined ? undefined : gt(materials.sku, filter.afterSku),
      ),
    )
    .orderBy(asc(materials.sku))
    .limit(filter.limit)
}

export async function getMaterial(db: Database, tenantId: string, id: string): Promise<Material> {
  const [material] = await db
    .select()
    .from(materials)
    .where(and(eq(materials.tenantId, tenantId), eq(materials.id, id)))
  if (!material) throw errors.MATERIAL_NOT_FOUND()
  return material
}

export async function createMaterial(
  db: Database,
  tenantId: string,
  input: MaterialInput,
  now: Date,
): Promise<Material> {
  const [created] = await db
    .insert(materials)
    .values({ ...input, tenantId, createdAt: now, updatedAt: now })
    .onConflictDoNothing()
    .returning()
  if (!created) throw errors.MATERIAL_SKU_TAKEN(`The catalogue already has a material with SKU ${input.sku}.`)
  return created
}

export async function updateMaterial(
  db: Database,
  tenantId: string,
  id: string,
  changes: Partial<Omit<MaterialInput, 'sku'>>,
  now: Date,
): Promise<Material> {
  const [updated] = await db
    .update(materials)
    .set({ ...changes, updatedAt: now })
    .where(and(eq(materials.tenantId, tenantId), eq(materials.id, id)))
    .returning()
  if (!updated) throw errors.MATERIAL_NOT_FOUND()
  return updated
}

/** Refused while a task's BOM holds the material or a trigger names its SKU (the trigger would then fail). */
export async function deleteMaterial(db: Database, tenantId: string, id: string): Promise<void> {
  await db.transaction(async (tx) => {
    const [material] = await tx
      .select()
      .from(materials)
      .where(and(eq(materials.tenantId, tenantId), eq(materials.id, id)))
      .for('update')
    if (!material) throw errors.MATERIAL_NOT_FOUND()
    const [line] = await tx
      .select({ taskId: taskBomItems.taskId })
      .from(taskBomItems)
      .where(and(eq(taskBomItems.tenantId, tenantId), eq(taskBomItems.materialId, id)))
      .limit(1)
    if (line)
      throw errors.MATERIAL_IN_USE('A task bill of materials holds this material.', { taskId: line.taskId })
    const referencing = await tx
      .select({ id: bomTriggers.id })
      .from(bomTriggers)
      .where(
        and(eq(bomTriggers.tenantId, tenantId), sql`${bomTriggers.actionConfig}->>'sku' = ${material.sku}`),
      )
    if (referencing.length > 0) {
      throw errors.MATERIAL_IN_USE(`Triggers name SKU ${material.sku} in their actionConfig.`, {
        triggerIds: referencing.map((trigger) => trigger.id),
      })
    }
    await tx.delete(materials).where(eq(materials.id, id))
  })
}
