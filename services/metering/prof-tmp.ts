import { randomUUID } from 'node:crypto'
import { parseInstant, readGatewayEvent } from './src/event-input.ts'
const now = new Date()
const raw = Array.from({ length: 500 }, () => ({ tenantId: randomUUID(), keyId: randomUUID(), metric: 'api.request', quantity: '1', idempotencyKey: randomUUID(), occurredAt: new Date().toISOString(), properties: { upstream: 'bom-triggers', method: 'GET', path: '/api/tasks/42', status: 200, durationMs: 3.2, requestId: randomUUID() } }))
for (let r = 0; r < 3; r++) { const t = performance.now(); for (let i = 0; i < 100; i++) raw.map((e) => readGatewayEvent(e, now)); console.log('read', ((performance.now() - t) / 100).toFixed(2), 'ms / 500') }
for (const s of ['2030-02-30T00:00:00Z', '2030-02-28T24:00:00Z', '2030-02-28T23:59:60Z', '2028-02-29T10:00:00+05:30', '2030-02-28T10:00:00.123456789Z', '2030-02-28 10:00:00Z', '2030-02-28T10:00:00+24:00', 'x']) console.log(s, parseInstant(s)?.toISOString())
