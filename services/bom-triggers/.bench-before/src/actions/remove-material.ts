import Type, { type Static } from 'typebox'
import { deleteLine } from '../bom.ts'
import { SKU_PATTERN } from '../vocabulary.ts'
import { type ActionDefinition, nothingToDo } from './action.ts'
import { checkSkuInCatalogue } from './material-ref.ts'

const schema = Type.Object({ sku: Type.String({ pattern: SKU_PATTERN }) }, { additionalProperties: false })

/** Takes a material off the task; raises no event (the seed has none for removals). */
export const removeMaterial: ActionDefinition<Static<typeof schema>> = {
  schema,
  check: (config, on) => checkSkuInCatalogue(config.sku, on),
  async plan({ tx, event, now, findMaterial }, config) {
    const line = (await findMaterial(config.sku))?.line
    if (!line) {
      return nothingToDo(`${config.sku} is not on the task: nothing removed`, {
        skipped: 'not on the task',
        sku: config.sku,
      })
    }
    const details = { sku: config.sku, quantity: line.quantity }
    return {
      summary: `Remove ${config.sku} (${line.quantity}) from the task`,
      details,
      raises: [],
      async apply() {
        await deleteLine(tx, line.id, event.task.id, now)
        return { output: { removed: details }, raised: [] }
      },
    }
  },
}
