import type { Database } from '@gatehouse/db-kit'
import { Decimal } from 'decimal.js'
import { deleteLine, insertLine, materialFacts, materialOnTask, setLineQuantity, taskFacts } from './bom.ts'
import { errors } from './errors.ts'
import { invalidField } from './field-errors.ts'
import { type OperationDeps, type OperationResult, operateOnOpenTask } from './tasks.ts'

/** `/api/tasks/:id/materials`: BOM changes made by people; each raises its event as a trigger's change does. */

function requirePositive(quantity: string, path: string): void {
  if (new Decimal(quantity).lte(0)) throw invalidField(path, 'must be above 0')
}

export async function addTaskMaterial(
  deps: OperationDeps,
  tenantId: string,
  taskId: string,
  input: { materialId?: string; sku?: string; quantity: string; unitCost?: string },
): Promise<OperationResult> {
  requirePositive(input.quantity, '/body/quantity')
  if (!input.materialId === !input.sku)
    throw invalidField('/body/materialId', 'give exactly one of materialId and sku')
  return operateOnOpenTask(deps, tenantId, taskId, async (tx, task, fire, now) => {
    const found = await materialOnTask(
      tx,
      tenantId,
      task.id,
      input.materialId ? { id: input.materialId } : { sku: input.sku ?? '' },
    )
    if (!found) throw errors.MATERIAL_NOT_FOUND('No such material in the catalogue.')
    const { material } = found
    if (found.line)
      throw errors.MATERIAL_ALREADY_ON_TASK(
        `${material.sku} is on the task already; change its quantity instead.`,
      )
    const unitCost = input.unitCost ?? material.unitCost
    await insertLine(
      tx,
      { tenantId, taskId, materialId: material.id, quantity: input.quantity, unitCost },
      now,
    )
    await fire({
      event: 'ON_MATERIAL_ADD',
      task: taskFacts(task),
      material: materialFacts(material),
      quantity: { new: input.quantity },
    })
  })
}

async function lineOf(tx: Database, tenantId: string, taskId: string, materialId: string) {
  const found = await materialOnTask(tx, tenantId, taskId, { id: materialId })
  if (!found?.line) throw errors.MATERIAL_NOT_ON_TASK()
  return { material: found.material, line: found.line }
}

export async function changeTaskMaterialQuantity(
  deps: OperationDeps,
  tenantId: string,
  taskId: string,
  materialId: string,
  quantity: string,
): Promise<OperationResult> {
  requirePositive(quantity, '/body/quantity')
  return operateOnOpenTask(deps, tenantId, taskId, async (tx, task, fire, now) => {
    const { material, line } = await lineOf(tx, tenantId, task.id, materialId)
    if (new Decimal(line.quantity).eq(quantity)) return
    await setLineQuantity(tx, line.id, task.id, quantity, now)
    await fire({
      event: 'ON_QUANTITY_CHANGE',
      task: taskFacts(task),
      material: materialFacts(material),
      quantity: { old: line.quantity, new: quantity },
    })
  })
}

/** Raises no event: the seed defines none for removals. The stored cost then reads as stale. */
export async function removeTaskMaterial(
  deps: OperationDeps,
  tenantId: string,
  taskId: string,
  materialId: string,
): Promise<OperationResult> {
  return operateOnOpenTask(deps, tenantId, taskId, async (tx, task, _fire, now) => {
    const { line } = await lineOf(tx, tenantId, task.id, materialId)
    await deleteLine(tx, line.id, task.id, now)
  })
}
