import { randomUUID } from 'node:crypto'
import type { ServiceInstance } from '@gatehouse/service-kit'
import { asGateway, asTenant } from './fixtures.ts'

export interface SubmittedEvent {
  metric?: unknown
  quantity?: unknown
  idempotencyKey?: unknown
  occurredAt?: unknown
  properties?: unknown
  [field: string]: unknown
}

export function tenantEvent(overrides: SubmittedEvent = {}): SubmittedEvent {
  return { metric: 'storage.gb_hours', quantity: '1', idempotencyKey: randomUUID(), ...overrides }
}

export function gatewayEvent(tenantId: string, overrides: SubmittedEvent = {}): SubmittedEvent {
  return {
    tenantId,
    metric: 'api.request',
    quantity: '1',
    idempotencyKey: randomUUID(),
    occurredAt: new Date().toISOString(),
    properties: { method: 'GET', path: '/api/tasks', status: 200 },
    ...overrides,
  }
}

export interface EventAnswer {
  index: number
  idempotencyKey: string | null
  status: 'accepted' | 'duplicate' | 'rejected'
  eventId: string | null
  reason?: string
  errors?: { path: string; message: string }[]
}

export interface BatchAnswer {
  accepted: number
  duplicates: number
  rejected: number
  results: EventAnswer[]
}

export async function postTenantEvents(
  app: ServiceInstance,
  tenantId: string,
  events: unknown[],
  who: { keyId?: string; userId?: string } = {},
) {
  return app.inject({
    method: 'POST',
    url: '/api/usage/events',
    headers: await asTenant(tenantId, who),
    payload: { events },
  })
}

/** Posts and expects the batch answer. */
export async function submitTenantEvents(
  app: ServiceInstance,
  tenantId: string,
  events: unknown[],
  who: { keyId?: string; userId?: string } = {},
): Promise<BatchAnswer> {
  const response = await postTenantEvents(app, tenantId, events, who)
  if (response.statusCode !== 200) throw new Error(`ingest failed: ${response.statusCode} ${response.body}`)
  return response.json() as BatchAnswer
}

export async function postGatewayEvents(app: ServiceInstance, events: unknown[]) {
  return app.inject({
    method: 'POST',
    url: '/internal/usage-events',
    headers: await asGateway(),
    payload: { events },
  })
}

export async function tenantGet(app: ServiceInstance, tenantId: string, url: string) {
  return app.inject({ method: 'GET', url, headers: await asTenant(tenantId) })
}

export function newTenant(): string {
  return randomUUID()
}
