import { materialBySku } from '../bom.ts'
import type { FieldError } from '../engine/conditions.ts'
import type { SaveCheck } from './action.ts'

/** Actions name materials by SKU, so templates work in every tenant's catalogue; the SKU must be in it. */
export async function checkSkuInCatalogue(sku: string, on: SaveCheck): Promise<FieldError[]> {
  const material = await materialBySku(on.db, on.tenantId, sku)
  return material
    ? []
    : [{ path: '/actionConfig/sku', message: `no material with SKU ${sku} in the catalogue` }]
}
