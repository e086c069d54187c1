import { Decimal } from 'decimal.js'
import Type, { type Static } from 'typebox'
import { materialFacts, setLineQuantity } from '../bom.ts'
import { SIGNED_DECIMAL_PATTERN, SKU_PATTERN } from '../vocabulary.ts'
import { type ActionDefinition, ActionError, nothingToDo } from './action.ts'
import { checkSkuInCatalogue } from './material-ref.ts'

const schema = Type.Object(
  {
    sku: Type.String({ pattern: SKU_PATTERN }),
    /** `set` replaces the quantity, `add` adds to it (negative to take some away). */
    operation: Type.Enum(['set', 'add']),
    quantity: Type.String({ pattern: SIGNED_DECIMAL_PATTERN }),
  },
  { additionalProperties: false },
)

/** Quantities are numeric(14,4): below this bound. */
const QUANTITY_LIMIT = new Decimal('1e10')

/** Changes the quantity of a material already on the task and raises ON_QUANTITY_CHANGE. */
export const updateQuantity: ActionDefinition<Static<typeof schema>> = {
  schema,
  async check(config, on) {
    const errors = await checkSkuInCatalogue(config.sku, on)
    const quantity = new Decimal(config.quantity)
    if (config.operation === 'set' && quantity.lte(0))
      errors.push({ path: '/actionConfig/quantity', message: 'must be above 0 for set' })
    if (config.operation === 'add' && quantity.isZero())
      errors.push({ path: '/actionConfig/quantity', message: 'must not be 0 for add' })
    return errors
  },
  async plan({ tx, event, now, findMaterial }, config) {
    const found = await findMaterial(config.sku)
    if (!found) throw new ActionError(`no material with SKU ${config.sku} in the catalogue`)
    const { material, line } = found
    if (!line) {
      return nothingToDo(`${config.sku} is not on the task: nothing changed`, {
        skipped: 'not on the task',
        sku: config.sku,
      })
    }
    const next =
      config.operation === 'set'
        ? new Decimal(config.quantity)
        : new Decimal(line.quantity).plus(new Decimal(config.quantity))
    if (next.lte(0)) {
      throw new ActionError(
        `the quantity of ${config.sku} would become ${next.toFixed(4)}; it must stay above 0 (REMOVE_MATERIAL takes it off)`,
      )
    }
    if (next.gte(QUANTITY_LIMIT))
      throw new ActionError(`the quantity of ${config.sku} would exceed ${QUANTITY_LIMIT.toFixed()}`)
    const quantity = next.toFixed(4)
    if (next.eq(line.quantity)) {
      return nothingToDo(`${config.sku} is already at ${quantity}: nothing changed`, {
        skipped: 'unchanged',
        sku: config.sku,
        quantity,
      })
    }
    const details = { sku: config.sku, from: line.quantity, to: quantity }
    return {
      summary: `Change the quantity of ${config.sku} from ${line.quantity} to ${quantity}`,
      details,
      raises: ['ON_QUANTITY_CHANGE'],
      async apply() {
        await setLineQuantity(tx, line.id, event.task.id, quantity, now)
        return {
          output: { changed: details },
          raised: [
            {
              event: 'ON_QUANTITY_CHANGE',
              task: event.task,
              material: materialFacts(material),
              quantity: { old: line.quantity, new: quantity },
            },
          ],
        }
      },
    }
  },
}
