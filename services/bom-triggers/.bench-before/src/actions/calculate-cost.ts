import Type, { type Static } from 'typebox'
import { computeCost, recalculateCost, storeCost } from '../bom.ts'
import type { ActionDefinition } from './action.ts'

const schema = Type.Object(
  {
    /** Added on top of the materials total, in percent (e.g. "15" or "7.5"). */
    markupPercent: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}(\\.[0-9]{1,4})?$' })),
  },
  { additionalProperties: false },
)

/** Recomputes the task's cost totals from its BOM lines (in SQL numeric) and stores them. */
export const calculateCost: ActionDefinition<Static<typeof schema>> = {
  schema,
  check: async () => [],
  async plan({ tx, tenantId, event, now }, config) {
    const totals = await computeCost(tx, tenantId, event.task.id, config.markupPercent ?? '0')
    return {
      summary: `Set the task's cost to ${totals.total} (${totals.itemCount} lines, materials ${totals.materialsTotal}, markup ${totals.markupPercent}%)`,
      details: { ...totals },
      raises: [],
      async apply() {
        await storeCost(tx, tenantId, event.task.id, totals, now)
        return { output: { cost: totals }, raised: [] }
      },
    }
  },
  async execute({ tx, tenantId, event, now }, config) {
    const totals = await recalculateCost(tx, tenantId, event.task.id, config.markupPercent ?? '0', now)
    return { output: { cost: totals }, raised: [] }
  },
}
