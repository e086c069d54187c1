import { expect } from 'vitest'
import type { Tenant } from './fixtures.ts'

let counter = 0
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}`.toUpperCase()

export async function makeMaterial(
  tenant: Tenant,
  overrides: Partial<{ sku: string; name: string; unit: string; unitCost: string }> = {},
) {
  const answer = await tenant.post('/api/materials', {
    sku: `MAT-${unique()}`,
    name: 'Test material',
    unit: 'pcs',
    unitCost: '2.5000',
    ...overrides,
  })
  expect(answer.status, JSON.stringify(answer.body)).toBe(201)
  return answer.body as { id: string; sku: string; unitCost: string }
}

export async function makeTask(tenant: Tenant, overrides: Partial<{ title: string; type: string }> = {}) {
  const answer = await tenant.post('/api/tasks', { title: 'Test task', type: 'GENERAL', ...overrides })
  expect(answer.status, JSON.stringify(answer.body)).toBe(201)
  return answer.body as {
    id: string
    status: string
    materials: { sku: string; quantity: string; materialId: string }[]
    cost: { total: string } | null
    triggerRuns: { name: string; outcome: string; depth: number; error: string | null }[]
  }
}

export interface TriggerInput {
  name?: string
  triggerEvent: string
  actionType: string
  conditions?: unknown
  actionConfig?: unknown
  priority?: number
  isActive?: boolean
  abortOnError?: boolean
}

export async function makeTrigger(tenant: Tenant, input: TriggerInput) {
  const answer = await tenant.post('/api/bom-triggers', { name: `Trigger ${unique()}`, ...input })
  expect(answer.status, JSON.stringify(answer.body)).toBe(201)
  return answer.body as { id: string; name: string; version: number }
}

/** The tenant's copies of the seed's templates, switched off, so a test sees only its own triggers. */
export async function disableSeededTriggers(tenant: Tenant): Promise<void> {
  const { body } = await tenant.get('/api/bom-triggers')
  for (const trigger of body.items as { id: string }[]) {
    const answer = await tenant.post(`/api/bom-triggers/${trigger.id}/deactivate`)
    expect(answer.status).toBe(200)
  }
}
