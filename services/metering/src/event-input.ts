import type { FieldError } from '@gatehouse/service-kit'
import Type, { type Static } from 'typebox'
import { Compile } from 'typebox/compile'
import type { EventSource } from './db/schema/index.ts'
import { windowCheck } from './windows.ts'

/** What the store writes: one event, already checked. */
export interface NewEvent {
  tenantId: string
  metric: string
  quantity: string
  occurredAt: Date
  idempotencyKey: string
  source: EventSource
  keyId: string | null
  properties: Record<string, unknown>
  void?: { eventId: string; by: string; reason: string }
}

export const REJECT_REASONS = ['malformed', 'reserved_metric', 'too_old', 'too_far_in_future'] as const
export type RejectReason = (typeof REJECT_REASONS)[number]
export interface Rejection {
  rejected: RejectReason
  errors?: FieldError[]
}

/** Metric names under `api.` are the gateway's (`api.request`): a tenant cannot forge or void them. */
export const RESERVED_METRIC_PREFIX = 'api.'
/** Compensating events claim `void:<event id>` in the key ledger, so tenant keys cannot start with it. */
export const VOID_KEY_PREFIX = 'void:'
const MAX_PROPERTIES_BYTES = 4096

export const Metric = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[a-z][a-z0-9_-]*(\\.[a-z0-9_-]+)*$',
})
/** Non-negative decimal: up to 18 integer and 12 fraction digits, as a string (or a JSON integer). */
const Quantity = Type.Union([
  Type.String({ pattern: '^(0|[1-9][0-9]{0,17})(\\.[0-9]{1,12})?$' }),
  Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
])
/** Printable ASCII, starting with a letter or digit (so an exported key never reads as a spreadsheet formula). */
export const IdempotencyKey = Type.String({
  minLength: 1,
  maxLength: 255,
  pattern: '^[A-Za-z0-9][\\x21-\\x7e]*$',
})
const Uuid = Type.String({ format: 'uuid' })

const TenantFields = {
  metric: Metric,
  quantity: Quantity,
  idempotencyKey: IdempotencyKey,
  occurredAt: Type.Optional(Type.String({ format: 'date-time' })),
  properties: Type.Optional(
    Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), { maxProperties: 50 }),
  ),
}
const TenantEventSchema = Type.Object(TenantFields)
const TenantEvent = Compile(TenantEventSchema)
const GatewayEvent = Compile(
  Type.Object({ ...TenantFields, tenantId: Uuid, keyId: Type.Optional(Type.Union([Uuid, Type.Null()])) }),
)
type TenantEventInput = Static<typeof TenantEventSchema>

/** A tenant's own event; its tenant and key come from the gateway's signed context, never from the body. */
export function readTenantEvent(
  raw: unknown,
  caller: { tenantId: string; keyId?: string | undefined },
  now: Date,
): NewEvent | Rejection {
  if (!TenantEvent.Check(raw)) return malformed(TenantEvent.Errors(raw))
  if (raw.metric.startsWith(RESERVED_METRIC_PREFIX)) {
    return {
      rejected: 'reserved_metric',
      errors: [{ path: '/metric', message: 'api.* metrics are reserved' }],
    }
  }
  return finish(raw, { tenantId: caller.tenantId, keyId: caller.keyId ?? null, source: 'tenant' }, now)
}

/** An event from the gateway's batches: tenant and key are in the event. */
export function readGatewayEvent(raw: unknown, now: Date): NewEvent | Rejection {
  if (!GatewayEvent.Check(raw)) return malformed(GatewayEvent.Errors(raw))
  return finish(raw, { tenantId: raw.tenantId, keyId: raw.keyId ?? null, source: 'gateway' }, now)
}

export function isRejection(value: NewEvent | Rejection): value is Rejection {
  return 'rejected' in value
}

function finish(
  raw: TenantEventInput,
  owner: Pick<NewEvent, 'tenantId' | 'keyId' | 'source'>,
  now: Date,
): NewEvent | Rejection {
  if (raw.idempotencyKey.startsWith(VOID_KEY_PREFIX)) {
    return rejectField('/idempotencyKey', `keys starting with "${VOID_KEY_PREFIX}" are reserved`)
  }
  const properties = raw.properties ?? {}
  const json = JSON.stringify(properties)
  if (Buffer.byteLength(json) > MAX_PROPERTIES_BYTES) {
    return rejectField('/properties', `must be at most ${MAX_PROPERTIES_BYTES} bytes of JSON`)
  }
  // PostgreSQL's jsonb refuses \u0000 and unpaired surrogates: one such value would fail the whole batch.
  if (json.includes('\\u') && /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f])/i.test(json)) {
    return rejectField('/properties', 'must not contain NUL characters or unpaired surrogates')
  }
  const occurredAt = raw.occurredAt === undefined ? now : new Date(raw.occurredAt)
  if (Number.isNaN(occurredAt.getTime())) return rejectField('/occurredAt', 'is not a representable instant')
  const window = windowCheck(occurredAt, now)
  if (window !== 'inside') return { rejected: window }
  return {
    ...owner,
    // uuids compare case-insensitively in PostgreSQL; the in-batch duplicate check compares strings.
    tenantId: owner.tenantId.toLowerCase(),
    keyId: owner.keyId?.toLowerCase() ?? null,
    metric: raw.metric,
    quantity: String(raw.quantity),
    occurredAt,
    idempotencyKey: raw.idempotencyKey,
    properties,
  }
}

interface SchemaIssue {
  keyword: string
  instancePath: string
  message: string
  params: unknown
}

function malformed(issues: Iterable<SchemaIssue>): Rejection {
  const errors = [...issues].slice(0, 10).flatMap((issue): FieldError[] => {
    const missing = (issue.params as { requiredProperties?: string[] }).requiredProperties
    if (issue.keyword === 'required' && missing) {
      return missing.map((name) => ({ path: `${issue.instancePath}/${name}`, message: 'is required' }))
    }
    return [{ path: issue.instancePath || '/', message: issue.message }]
  })
  return { rejected: 'malformed', errors }
}

function rejectField(path: string, message: string): Rejection {
  return { rejected: 'malformed', errors: [{ path, message }] }
}
