import type { Database } from '@gatehouse/db-kit'
import { and, asc, eq, type SQL, sql } from 'drizzle-orm'
import {
  type Material,
  materials,
  type Task,
  type TaskBomItem,
  taskBomItems,
  taskCosts,
  tasks,
} from './db/schema/index.ts'
import type { MaterialFacts, TaskFacts } from './engine/event-context.ts'
import type { TaskStatus } from './vocabulary.ts'

/** The shared BOM steps: the API's task operations and the trigger actions both change a BOM through these. */

export function taskFacts(task: Pick<Task, 'id' | 'title' | 'type' | 'status'>): TaskFacts {
  return { id: task.id, title: task.title, type: task.type, status: task.status }
}

export function materialFacts(material: MaterialFacts): MaterialFacts {
  return {
    id: material.id,
    sku: material.sku,
    name: material.name,
    unit: material.unit,
    unitCost: material.unitCost,
  }
}

/**
 * The task row, locked until the transaction ends: operations on one task run one after the other, so a cost
 * computed from the BOM always sees every line committed before it.
 */
export async function lockTask(tx: Database, tenantId: string, taskId: string): Promise<Task | undefined> {
  const [task] = await tx
    .select()
    .from(tasks)
    .where(and(eq(tasks.tenantId, tenantId), eq(tasks.id, taskId)))
    .for('update')
  return task
}

export async function materialBySku(tx: Database, tenantId: string, sku: string) {
  const [material] = await tx
    .select()
    .from(materials)
    .where(and(eq(materials.tenantId, tenantId), eq(materials.sku, sku)))
  return material
}

/** A catalogue material (by SKU or id) and its line on the task if it has one, in one round trip. */
export async function materialOnTask(
  tx: Database,
  tenantId: string,
  taskId: string,
  by: { sku: string } | { id: string },
): Promise<{ material: Material; line: TaskBomItem | undefined } | undefined> {
  const [row] = await tx
    .select({ material: materials, line: taskBomItems })
    .from(materials)
    .leftJoin(taskBomItems, and(eq(taskBomItems.materialId, materials.id), eq(taskBomItems.taskId, taskId)))
    .where(
      and(
        eq(materials.tenantId, tenantId),
        'sku' in by ? eq(materials.sku, by.sku) : eq(materials.id, by.id),
      ),
    )
  return row && { material: row.material, line: row.line ?? undefined }
}

/**
 * A BOM change and the task's bom_version bump in one statement (a data-modifying WITH), so each change costs one
 * round trip. Times go as text: drizzle's postgres.js client passes parameters through unserialized.
 */
async function changeBom(tx: Database, taskId: string, change: SQL, now: Date) {
  await tx.execute(sql`
    with changed as (${change})
    update ${tasks} set bom_version = bom_version + 1, updated_at = ${now.toISOString()}::timestamptz
    where id = ${taskId}`)
}

export async function insertLine(
  tx: Database,
  line: { tenantId: string; taskId: string; materialId: string; quantity: string; unitCost: string },
  now: Date,
) {
  const at = now.toISOString()
  const insert = sql`insert into ${taskBomItems} (tenant_id, task_id, material_id, quantity, unit_cost, created_at, updated_at)
    values (${line.tenantId}, ${line.taskId}, ${line.materialId}, ${line.quantity}, ${line.unitCost}, ${at}::timestamptz, ${at}::timestamptz)`
  await changeBom(tx, line.taskId, insert, now)
}

export async function setLineQuantity(
  tx: Database,
  lineId: string,
  taskId: string,
  quantity: string,
  now: Date,
) {
  const update = sql`update ${taskBomItems} set quantity = ${quantity}, updated_at = ${now.toISOString()}::timestamptz
    where id = ${lineId}`
  await changeBom(tx, taskId, update, now)
}

export async function deleteLine(tx: Database, lineId: string, taskId: string, now: Date) {
  await changeBom(tx, taskId, sql`delete from ${taskBomItems} where id = ${lineId}`, now)
}

export interface CostTotals {
  materialsTotal: string
  markupPercent: string
  total: string
  itemCount: number
}

/** Totals from the task's BOM lines, computed by PostgreSQL in numeric (never in floats). */
export async function computeCost(
  tx: Database,
  tenantId: string,
  taskId: string,
  markupPercent: string,
): Promise<CostTotals> {
  const subtotal = sql`coalesce(sum(${taskBomItems.quantity} * ${taskBomItems.unitCost}), 0)`
  const [row] = await tx
    .select({
      materialsTotal: sql<string>`(${subtotal})::numeric(18, 4)::text`,
      markupPercent: sql<string>`(${markupPercent}::numeric)::numeric(9, 4)::text`,
      total: sql<string>`(${subtotal} * (1 + ${markupPercent}::numeric / 100))::numeric(18, 4)::text`,
      itemCount: sql<number>`count(*)::int`,
    })
    .from(taskBomItems)
    .where(and(eq(taskBomItems.tenantId, tenantId), eq(taskBomItems.taskId, taskId)))
  return row ?? { materialsTotal: '0.0000', markupPercent, total: '0.0000', itemCount: 0 }
}

export async function storeCost(
  tx: Database,
  tenantId: string,
  taskId: string,
  totals: CostTotals,
  now: Date,
) {
  const values = {
    ...totals,
    calculatedAt: now,
    bomVersion: sql`(select ${tasks.bomVersion} from ${tasks} where ${tasks.id} = ${taskId})`,
  }
  await tx
    .insert(taskCosts)
    .values({ taskId, tenantId, ...values })
    .onConflictDoUpdate({ target: taskCosts.taskId, set: values })
}

export interface BomLineView {
  materialId: string
  sku: string
  name: string
  unit: string
  quantity: string
  unitCost: string
  lineTotal: string
  addedAt: Date
}

export async function bomLines(tx: Database, tenantId: string, taskId: string): Promise<BomLineView[]> {
  return tx
    .select({
      materialId: taskBomItems.materialId,
      sku: materials.sku,
      name: materials.name,
      unit: materials.unit,
      quantity: taskBomItems.quantity,
      unitCost: taskBomItems.unitCost,
      // Unbounded numeric: a line may be worth more than a stored cost total can hold (numeric(18,4)).
      lineTotal: sql<string>`round(${taskBomItems.quantity} * ${taskBomItems.unitCost}, 4)::text`,
      addedAt: taskBomItems.createdAt,
    })
    .from(taskBomItems)
    .innerJoin(materials, eq(materials.id, taskBomItems.materialId))
    .where(and(eq(taskBomItems.tenantId, tenantId), eq(taskBomItems.taskId, taskId)))
    .orderBy(asc(taskBomItems.createdAt), asc(materials.sku))
}

export interface TaskView {
  id: string
  title: string
  type: string
  status: TaskStatus
  createdAt: Date
  updatedAt: Date
  completedAt: Date | null
  materials: BomLineView[]
  cost: (CostTotals & { calculatedAt: Date; stale: boolean }) | null
}

export async function taskView(
  tx: Database,
  tenantId: string,
  taskId: string,
): Promise<TaskView | undefined> {
  const [row] = await tx
    .select({ task: tasks, cost: taskCosts })
    .from(tasks)
    .leftJoin(taskCosts, eq(taskCosts.taskId, tasks.id))
    .where(and(eq(tasks.tenantId, tenantId), eq(tasks.id, taskId)))
  if (!row) return undefined
  const { task, cost } = row
  return {
    id: task.id,
    title: task.title,
    type: task.type,
    status: task.status,
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
    completedAt: task.completedAt,
    materials: await bomLines(tx, tenantId, taskId),
    cost: cost
      ? {
          materialsTotal: cost.materialsTotal,
          markupPercent: cost.markupPercent,
          total: cost.total,
          itemCount: cost.itemCount,
          calculatedAt: cost.calculatedAt,
          stale: cost.bomVersion !== task.bomVersion,
        }
      : null,
  }
}
