import { Decimal } from 'decimal.js'
import Type, { type Static } from 'typebox'
import { materialFacts } from '../bom.ts'
import { DECIMAL_PATTERN, SKU_PATTERN } from '../vocabulary.ts'
import { type ActionDefinition, ActionError, nothingToDo } from './action.ts'
import { checkSkuInCatalogue } from './material-ref.ts'

const schema = Type.Object(
  {
    sku: Type.String({ pattern: SKU_PATTERN }),
    quantity: Type.String({ pattern: DECIMAL_PATTERN }),
    /** Overrides the catalogue's unit cost for this line. */
    unitCost: Type.Optional(Type.String({ pattern: DECIMAL_PATTERN })),
  },
  { additionalProperties: false },
)

/** Puts a material on the task (once: when it is there already, nothing happens) and raises ON_MATERIAL_ADD. */
export const addMaterial: ActionDefinition<Static<typeof schema>> = {
  schema,
  async check(config, on) {
    const errors = await checkSkuInCatalogue(config.sku, on)
    if (new Decimal(config.quantity).lte(0))
      errors.push({ path: '/actionConfig/quantity', message: 'must be above 0' })
    return errors
  },
  batchesLines: true,
  async plan({ tenantId, event, findMaterial, insertLine }, config) {
    const found = await findMaterial(config.sku)
    if (!found) throw new ActionError(`no material with SKU ${config.sku} in the catalogue`)
    const { material } = found
    if (found.line) {
      return nothingToDo(`${config.sku} is already on the task: nothing added`, {
        skipped: 'already on the task',
        sku: config.sku,
      })
    }
    const unitCost = config.unitCost ?? material.unitCost
    const details = { sku: config.sku, materialId: material.id, quantity: config.quantity, unitCost }
    return {
      summary: `Add ${config.quantity} ${material.unit} of ${config.sku} (${material.name}) at ${unitCost} each`,
      details,
      raises: ['ON_MATERIAL_ADD'],
      async apply() {
        await insertLine({
          tenantId,
          taskId: event.task.id,
          materialId: material.id,
          quantity: config.quantity,
          unitCost,
        })
        return {
          output: { added: details },
          raised: [
            {
              event: 'ON_MATERIAL_ADD',
              task: event.task,
              material: materialFacts(material),
              quantity: { new: config.quantity },
            },
          ],
        }
      },
    }
  },
}
