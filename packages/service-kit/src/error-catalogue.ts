import type { ErrorRow, ErrorTable } from './error-tables.ts'
import { problemType } from './errors.ts'

/**
 * The codes service-kit itself answers with, under the prefix of whichever service raised them: the error
 * handler's (validation, body parsing, unknown route, database), readiness, the caller context, service tokens,
 * the one 429, load shedding and the metrics token. `test/error-catalogue.test.ts` holds this list to the source.
 */
export const GENERIC_ERRORS: Readonly<Record<string, ErrorRow>> = {
  NOT_FOUND: [404, 'Not found', 'Check the method and path against the API document (/openapi.json).'],
  VALIDATION_FAILED: [
    400,
    'Request validation failed',
    'Fix the fields listed in `errors[]` (each has a JSON path and a message); the same request will fail again.',
  ],
  MALFORMED_JSON: [400, 'Malformed JSON body', 'Send a valid JSON body with content-type application/json.'],
  BAD_REQUEST: [400, 'Bad request', 'Read `detail`, fix the request and send it again.'],
  BODY_TOO_LARGE: [413, 'Payload too large', 'Send a smaller body; each service documents its limit.'],
  UNSUPPORTED_MEDIA_TYPE: [415, 'Unsupported media type', 'Send the body as application/json.'],
  CONFLICT: [
    409,
    'Conflict',
    'The resource already exists or references one that does not; read it again before retrying.',
  ],
  RATE_LIMITED: [
    429,
    'Too many requests',
    'Wait the number of seconds in Retry-After (RateLimit-* headers show the budget), then retry.',
  ],
  INTERNAL: [
    500,
    'Internal server error',
    'Retry later; if it persists, report the `requestId` of the response.',
  ],
  UNAVAILABLE: [
    503,
    'Service unavailable',
    'A dependency is down: retry after Retry-After seconds, with backoff.',
  ],
  NOT_READY: [
    503,
    'Service unavailable',
    'The service cannot serve now (readiness); route traffic elsewhere.',
  ],
  OVERLOADED: [
    503,
    'Service overloaded',
    'The service is shedding load: retry after Retry-After seconds, with backoff and jitter.',
  ],
  SHUTTING_DOWN: [
    503,
    'Service unavailable',
    'This instance is stopping: retry at once (another replica answers).',
  ],
  BAD_URL: [400, 'Bad request', 'Percent-encode the URL correctly.'],
  URI_TOO_LONG: [414, 'URI too long', 'Shorten the path; send large values in the body.'],
  REQUEST_TIMEOUT: [408, 'Request timeout', 'Send the whole request promptly; retry on a fresh connection.'],
  HEADERS_TOO_LARGE: [
    431,
    'Request header fields too large',
    'Send fewer or smaller headers (cookies included).',
  ],
  CALLER_REQUIRED: [
    401,
    'Unauthorized',
    'Call this route through the gateway, with credentials for a tenant.',
  ],
  INTERNAL_CONTEXT_INVALID: [
    401,
    'Unauthorized',
    'Only the gateway may call this service directly; call the gateway instead.',
  ],
  INTERNAL_AUTH_REQUIRED: [
    401,
    'Unauthorized',
    'Service-to-service route: send a valid x-internal-token signed with INTERNAL_SECRET.',
  ],
  METRICS_TOKEN_REQUIRED: [
    401,
    'Unauthorized',
    'Scrape /metrics with Authorization: Bearer <METRICS_TOKEN>.',
  ],
}

const STATUS_HINTS: Record<number, string> = {
  400: 'Fix the request as `detail` says; sending it unchanged will fail again.',
  401: 'Authenticate (see the security of the operation in /openapi.json), then retry.',
  403: 'The credentials are valid but not allowed to do this; ask an owner or use other credentials.',
  404: 'The resource does not exist or is not visible to you; check the id.',
  409: 'The resource is not in a state that allows this; read it again, then decide.',
  410: 'It is gone for good: start over (create a new one).',
  413: 'Send a smaller body.',
  415: 'Send the body as application/json.',
  422: 'The request is well formed but was refused by a rule; read `detail`.',
  429: 'Wait the number of seconds in Retry-After, then retry.',
  500: 'Retry later; if it persists, report the `requestId` of the response.',
  502: 'Retry after a short wait.',
  503: 'Retry after Retry-After seconds, with backoff.',
  504: 'The request may or may not have taken effect: read before retrying anything that is not idempotent.',
}

/** What a client should do for a status, when the table gives no advice of its own. */
export function hintForStatus(status: number): string {
  return STATUS_HINTS[status] ?? STATUS_HINTS[Math.floor(status / 100) * 100] ?? 'Read `detail`.'
}

export interface CatalogueEntry {
  /** As the client sees it: `AUTH_API_TOKEN_REUSED`. */
  code: string
  status: number
  title: string
  /** What a client should do. */
  hint: string
  /** The answering service. */
  service: string
  /** The problem `type` URL: the entry's page in the gateway's catalogue. */
  type: string
}

export interface ErrorCatalogue {
  service: string
  /** `AUTH_API`: what every code of the service starts with (then `_`). */
  prefix: string
  entries: CatalogueEntry[]
  /** The codes of the service's own tables, without the prefix. */
  serviceCodes: readonly string[]
  /** Every code this service can answer, prefixed. */
  codes: ReadonlySet<string>
  has(code: string): boolean
}

/** Prefixed entries of one table: `TOKEN_REUSED` of auth-api is `AUTH_API_TOKEN_REUSED`. */
function entriesOf(
  service: string,
  prefix: string,
  rows: Readonly<Record<string, ErrorRow>>,
  typeBase?: string,
): CatalogueEntry[] {
  return Object.entries(rows).map(([code, [status, title, hint]]) => {
    const prefixed = `${prefix}_${code}`
    return {
      code: prefixed,
      status,
      title,
      hint: hint ?? hintForStatus(status),
      service,
      type: problemType(prefixed, typeBase),
    }
  })
}

/**
 * A service's catalogue: service-kit's generic codes plus every `defineErrors` table of the service. A code in
 * both (a service may define VALIDATION_FAILED for its own checks) is listed once, with the service's wording.
 */
export function errorCatalogueOf(options: {
  service: string
  prefix: string
  tables: readonly ErrorTable[]
  typeBase?: string
}): ErrorCatalogue {
  const byCode = new Map<string, CatalogueEntry>()
  for (const entry of entriesOf(options.service, options.prefix, GENERIC_ERRORS, options.typeBase)) {
    byCode.set(entry.code, entry)
  }
  for (const table of options.tables) {
    for (const entry of entriesOf(options.service, options.prefix, table.rows, options.typeBase)) {
      const generic = byCode.get(entry.code)
      byCode.set(
        entry.code,
        generic && entry.hint === hintForStatus(entry.status) ? { ...entry, hint: generic.hint } : entry,
      )
    }
  }
  const entries = [...byCode.values()].sort((a, b) => a.code.localeCompare(b.code))
  const codes = new Set(byCode.keys())
  const serviceCodes = [...new Set(options.tables.flatMap((table) => Object.keys(table.rows)))]
  return {
    service: options.service,
    prefix: options.prefix,
    entries,
    serviceCodes,
    codes,
    has: (code) => codes.has(code),
  }
}
