import type { ActionType } from '../vocabulary.ts'
import type { ActionDefinition } from './action.ts'
import { addMaterial } from './add-material.ts'
import { calculateCost } from './calculate-cost.ts'
import { notify } from './notify.ts'
import { removeMaterial } from './remove-material.ts'
import { updateQuantity } from './update-quantity.ts'

// biome-ignore lint/suspicious/noExplicitAny: each entry has its own config type, checked against its schema first
export const ACTIONS: Record<ActionType, ActionDefinition<any>> = {
  ADD_MATERIAL: addMaterial,
  UPDATE_QUANTITY: updateQuantity,
  REMOVE_MATERIAL: removeMaterial,
  NOTIFY: notify,
  CALCULATE_COST: calculateCost,
}

export { ActionError, type Applied, type Planned, type RaisedEvent } from './action.ts'
