import type { Database } from '@gatehouse/db-kit'
import { and, asc, eq, inArray, type SQL, sql } from 'drizzle-orm'
import { executePrepared, PREPARED_MAX_ROWS, prepared, preparedUpTo } from './db/prepared.ts'
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
  const [task] = await prepared(
    tx
      .select()
      .from(tasks)
      .where(and(eq(tasks.tenantId, tenantId), eq(tasks.id, taskId)))
      .for('update'),
    'lock_task',
  )
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
  const [row] = await prepared(
    tx
      .select({ material: materials, line: taskBomItems })
      .from(materials)
      .leftJoin(taskBomItems, and(eq(taskBomItems.materialId, materials.id), eq(taskBomItems.taskId, taskId)))
      .where(
        and(
          eq(materials.tenantId, tenantId),
          'sku' in by ? eq(materials.sku, by.sku) : eq(materials.id, by.id),
        ),
      ),
    'material_on_task',
  )
  return row && { material: row.material, line: row.line ?? undefined }
}

export interface MaterialOnTask {
  material: Material
  line: TaskBomItem | undefined
}

/** materialOnTask for several SKUs in one round trip; SKUs not in the catalogue are missing from the map. */
export async function materialsOnTask(
  tx: Database,
  tenantId: string,
  taskId: string,
  skus: readonly string[],
): Promise<Map<string, MaterialOnTask>> {
  const rows = await preparedUpTo(
    tx
      .select({ material: materials, line: taskBomItems })
      .from(materials)
      .leftJoin(taskBomItems, and(eq(taskBomItems.materialId, materials.id), eq(taskBomItems.taskId, taskId)))
      .where(and(eq(materials.tenantId, tenantId), inArray(materials.sku, [...skus]))),
    'materials_on_task',
    skus.length,
  )
  return new Map(
    rows.map((row) => [row.material.sku, { material: row.material, line: row.line ?? undefined }]),
  )
}

/**
 * A BOM change and the task's bom_version bump (by the number of lines changed) in one statement (a data-modifying
 * WITH), so each change costs one round trip. Times go as text: drizzle's postgres.js client passes parameters
 * through unserialized.
 */
async function changeBom(tx: Database, taskId: string, change: SQL, now: Date, lines = 1) {
  const statement = sql`
    with changed as (${change})
    update ${tasks} set bom_version = bom_version + ${lines}::int, updated_at = ${now.toISOString()}::timestamptz
    where id = ${taskId}`
  await executePrepared(tx, lines <= PREPARED_MAX_ROWS ? 'change_bom' : undefined, statement)
}

export interface NewLine {
  tenantId: string
  taskId: string
  materialId: string
  quantity: string
  unitCost: string
}

export async function insertLine(tx: Database, line: NewLine, now: Date) {
  await insertLines(tx, line.taskId, [line], now)
}

/** Lines of one task in one statement; bom_version ends up as after one insertLine per line. */
export async function insertLines(tx: Database, taskId: string, lines: readonly NewLine[], now: Date) {
  const at = now.toISOString()
  const rows = lines.map(
    (line) =>
      sql`(${line.tenantId}, ${line.taskId}, ${line.materialId}, ${line.quantity}, ${line.unitCost}, ${at}::timestamptz, ${at}::timestamptz)`,
  )
  const insert = sql`insert into ${taskBomItems} (tenant_id, task_id, material_id, quantity, unit_cost, created_at, updated_at)
    values ${sql.join(rows, sql`, `)}`
  await changeBom(tx, taskId, insert, now, lines.length)
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

/** computeCost and storeCost in one statement (INSERT ... SELECT ... RETURNING), for a run that is not a dry run. */
export async function recalculateCost(
  tx: Database,
  tenantId: string,
  taskId: string,
  markupPercent: string,
  now: Date,
): Promise<CostTotals> {
  const subtotal = sql`coalesce(sum(${taskBomItems.quantity} * ${taskBomItems.unitCost}), 0)`
  // Columns in taskCosts' order; numeric(18,4) and numeric(9,4) as the columns are, so the text reads as computeCost's.
  const totals = sql`select ${taskId}::uuid, ${tenantId}::uuid,
      (${subtotal})::numeric(18, 4), (${markupPercent}::numeric)::numeric(9, 4),
      (${subtotal} * (1 + ${markupPercent}::numeric / 100))::numeric(18, 4), count(*)::int,
      (select ${tasks.bomVersion} from ${tasks} where ${tasks.id} = ${taskId}), ${now.toISOString()}::timestamptz
    from ${taskBomItems} where ${taskBomItems.tenantId} = ${tenantId} and ${taskBomItems.taskId} = ${taskId}`
  const [row] = await prepared(
    tx
      .insert(taskCosts)
      .select(totals)
      .onConflictDoUpdate({
        target: taskCosts.taskId,
        set: {
          materialsTotal: sql`excluded.materials_total`,
          markupPercent: sql`excluded.markup_percent`,
          total: sql`excluded.total`,
          itemCount: sql`excluded.item_count`,
          bomVersion: sql`excluded.bom_version`,
          calculatedAt: sql`excluded.calculated_at`,
        },
      })
      .returning({
        materialsTotal: sql<string>`${taskCosts.materialsTotal}::text`,
        markupPercent: sql<string>`${taskCosts.markupPercent}::text`,
        total: sql<string>`${taskCosts.total}::text`,
        itemCount: taskCosts.itemCount,
      }),
    'recalculate_cost',
  )
  if (!row) throw new Error('the cost upsert returned no row')
  return row
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

export function bomLines(tx: Database, tenantId: string, taskId: string): Promise<BomLineView[]> {
  const query = tx
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
  return prepared(query, 'bom_lines')
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
  // Both reads at once: postgres.js pipelines prepared statements, so they cost one round trip.
  const [[row], lines] = await Promise.all([
    prepared(
      tx
        .select({ task: tasks, cost: taskCosts })
        .from(tasks)
        .leftJoin(taskCosts, eq(taskCosts.taskId, tasks.id))
        .where(and(eq(tasks.tenantId, tenantId), eq(tasks.id, taskId))),
      'task_view',
    ),
    bomLines(tx, tenantId, taskId),
  ])
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
    materials: lines,
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
