import { fastifySwagger } from '@fastify/swagger'
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify'
import type { CatalogueEntry, ErrorCatalogue } from './error-catalogue.ts'
import type { ErrorFactory } from './errors.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The service's errors this route can answer (`[errors.TENANT_NOT_FOUND, errors.FORBIDDEN]`). With it the
     * document lists exactly these beside the generic ones; without it, every code of the service, by status.
     */
    problems?: readonly Pick<ErrorFactory, 'code' | 'status'>[]
    /**
     * Who the route acts for, read from the gateway's signed context rather than a credential of its own. `tenant`
     * (requireTenantCaller; what every route whose security admits an API key is) documents CALLER_REQUIRED and
     * INTERNAL_CONTEXT_INVALID; `user` (request.caller.userId, a user the gateway vouches for) the latter only.
     */
    caller?: 'tenant' | 'user'
  }
}

/** The four ways to call a Gatehouse route, as OpenAPI security schemes. */
export const SECURITY_SCHEMES = {
  userBearer: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'A user access token from auth-api (POST /api/auth/login), as Authorization: Bearer <token>.',
  },
  apiKey: {
    type: 'apiKey',
    in: 'header',
    name: 'x-api-key',
    description: 'A tenant API key (gh_...); Authorization: Bearer gh_... is accepted too.',
  },
  cronSecret: {
    type: 'http',
    scheme: 'bearer',
    description: 'CRON_SECRET, for operators (/api/admin/*), as Authorization: Bearer <secret>.',
  },
  serviceToken: {
    type: 'apiKey',
    in: 'header',
    name: 'x-internal-token',
    description:
      'A service token signed with INTERNAL_SECRET: service to service only, never through the gateway.',
  },
} as const

/** Route-level `schema.security` values: `schema: { security: SECURITY.user, ... }`. */
export const SECURITY = {
  public: [],
  user: [{ userBearer: [] }],
  /** Tenant routes through the gateway: an API key, or a user token with x-tenant-id. */
  tenant: [{ apiKey: [] }, { userBearer: [] }],
  cron: [{ cronSecret: [] }],
  service: [{ serviceToken: [] }],
} as const satisfies Record<string, readonly Record<string, readonly string[]>[]>

export const PROBLEM_MEDIA_TYPE = 'application/problem+json'
const PROBLEMS_EXTENSION = 'x-gatehouse-problems'

/** The problem+json body every error has (RFC 9457), as documented in every service's components. */
export const PROBLEM_SCHEMA = {
  type: 'object',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: {
      type: 'string',
      format: 'uri',
      description: "The error's page in the catalogue (/errors/<code>).",
    },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', description: 'Stable: switch on this, never on title or detail.' },
    requestId: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: { path: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
  additionalProperties: true,
} as const

export interface OpenApiOptions {
  service: string
  /** Where the service serves its own document. */
  path: string
  catalogue: ErrorCatalogue
  /** From the registry: `tenant` services' public routes need a tenant caller. */
  access?: 'public' | 'tenant' | 'gateway'
  publicPrefixes: readonly string[]
  hasDatabase: boolean
  loadShedding: boolean
  /**
   * The service verifies the gateway's signed context (createService's internalSecret), a bad one being a 401.
   * Default: whether callerContext is installed when the document is built.
   */
  callerContext?: boolean
  title?: string
  version?: string
  description?: string
}

type Schema = Record<string, unknown>
type Operation = Record<string, unknown> & { responses?: Record<string, unknown> }

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH'])

function segmentsOf(url: string): string[] {
  return url.split('/').filter(Boolean)
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1)
}

function humanize(segment: string): string {
  return segment.replace(/[-_.]+/g, ' ').trim()
}

function singular(word: string): string {
  return word.endsWith('ies') ? `${word.slice(0, -3)}y` : word.replace(/s$/, '')
}

/**
 * A readable default summary from method and path (`POST /api/tenants/:id/keys/:keyId/rotate` → "Rotate key");
 * a route's own `schema.summary` wins.
 */
export function summaryOf(method: string, url: string): string {
  const segments = segmentsOf(url)
  if (isProbe(url)) return url.endsWith('/ready') ? 'Readiness (database and load)' : 'Liveness'
  const statics = segments.filter((segment) => !segment.startsWith(':'))
  const last = segments.at(-1) ?? ''
  const resource = humanize(statics.at(-1) ?? 'root')
  if (last.startsWith(':')) {
    const verb =
      { GET: 'Get', PUT: 'Set', PATCH: 'Update', DELETE: 'Delete' }[method] ??
      capitalize(method.toLowerCase())
    return `${verb} ${singular(resource)}`
  }
  if (/s$/.test(last) && !['status', 'access'].includes(last)) {
    const verb = { GET: 'List', POST: 'Create', DELETE: 'Delete', PUT: 'Replace' }[method]
    return verb ? `${verb} ${method === 'POST' ? singular(resource) : resource}` : capitalize(resource)
  }
  const before = segments.at(-2) ?? ''
  const object = before.startsWith(':')
    ? ` ${singular(humanize(statics.at(-2) ?? ''))}`
    : /s$/.test(before)
      ? ` ${singular(humanize(before))}`
      : ''
  return `${capitalize(resource)}${object}`.trim()
}

/** `postApiTenantsIdKeys`: unique per method and path, stable across builds. */
export function operationIdOf(method: string, url: string): string {
  const words = segmentsOf(url).flatMap((segment) => segment.replace(/^:/, '').split(/[^A-Za-z0-9]+/))
  return method.toLowerCase() + words.filter(Boolean).map(capitalize).join('')
}

function hasSegment(url: string, name: string): boolean {
  return segmentsOf(url).some((segment) => segment.toLowerCase() === name)
}

function underPrefix(url: string, prefixes: readonly string[]): boolean {
  return prefixes.some((prefix) => url === prefix || url.startsWith(`${prefix}/`))
}

function isProbe(url: string): boolean {
  return /\/(health|ready)$/.test(url)
}

/** Routes that only services or operators call: `/internal/*` (service token) and `/api/admin/*` (cron secret). */
export function defaultSecurityOf(url: string, options: Pick<OpenApiOptions, 'access' | 'publicPrefixes'>) {
  if (hasSegment(url, 'internal')) return SECURITY.service
  if (hasSegment(url, 'admin')) return SECURITY.cron
  if (options.access === 'tenant' && underPrefix(url, options.publicPrefixes) && !isProbe(url))
    return SECURITY.tenant
  return undefined
}

type DocumentedRoute = Pick<RouteOptions, 'method' | 'url' | 'schema' | 'config'>

/** The route's own `schema.security`, else its default. */
export function securityOf(
  route: DocumentedRoute,
  options: Pick<OpenApiOptions, 'access' | 'publicPrefixes'>,
): readonly Record<string, readonly string[]>[] | undefined {
  const own = (route.schema as { security?: readonly Record<string, readonly string[]>[] } | undefined)
    ?.security
  return own ?? defaultSecurityOf(route.url, options)
}

/** Whom the route reads from the signed context (`config.caller`); an API key is only ever a tenant's. */
function callerOf(route: DocumentedRoute, options: OpenApiOptions): 'tenant' | 'user' | undefined {
  const declared = (route.config as { caller?: 'tenant' | 'user' } | undefined)?.caller
  if (declared) return declared
  const admitsKey = securityOf(route, options)?.some((requirement) => 'apiKey' in requirement)
  return admitsKey ? 'tenant' : undefined
}

/** The codes (prefixed) a route can answer besides its success responses. */
export function problemCodesOf(route: DocumentedRoute, options: OpenApiOptions) {
  const method = typeof route.method === 'string' ? route.method : (route.method[0] ?? 'GET')
  const schema = (route.schema ?? {}) as Schema
  const generic: string[] = ['INTERNAL']
  const caller = callerOf(route, options)
  if (caller === 'tenant') generic.push('CALLER_REQUIRED')
  if (caller && options.callerContext) generic.push('INTERNAL_CONTEXT_INVALID')
  if (schema.body || schema.params || schema.querystring || schema.headers) generic.push('VALIDATION_FAILED')
  if (BODY_METHODS.has(method)) generic.push('MALFORMED_JSON', 'BODY_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE')
  if (options.hasDatabase && !isProbe(route.url)) generic.push('UNAVAILABLE', 'CONFLICT', 'BAD_REQUEST')
  const exempt = (route.config as { loadShedding?: boolean } | undefined)?.loadShedding === false
  if (options.loadShedding && !exempt) generic.push('OVERLOADED')
  if (hasSegment(route.url, 'internal')) generic.push('INTERNAL_AUTH_REQUIRED')
  if (isProbe(route.url) && route.url.endsWith('/ready')) generic.push('NOT_READY', 'OVERLOADED')
  const declared = (route.config as { problems?: readonly { code: string }[] } | undefined)?.problems
  const own = declared
    ? declared.map((factory) => factory.code)
    : isProbe(route.url)
      ? []
      : options.catalogue.serviceCodes
  const prefix = `${options.catalogue.prefix}_`
  return [...new Set([...generic, ...own])]
    .map((code) => prefix + code)
    .filter((code) => options.catalogue.has(code))
}

/** `{ '401': [codes], ... }` from a list of codes and the catalogue's statuses. */
export function codesByStatus(
  codes: readonly string[],
  entries: readonly CatalogueEntry[],
): Record<string, string[]> {
  const statusOf = new Map(entries.map((entry) => [entry.code, entry.status]))
  const byStatus: Record<string, string[]> = {}
  for (const code of codes) {
    const status = statusOf.get(code)
    if (status === undefined) continue
    const list = byStatus[String(status)] ?? []
    byStatus[String(status)] = list
    if (!list.includes(code)) list.push(code)
  }
  for (const list of Object.values(byStatus)) list.sort()
  return byStatus
}

const STATUS_DESCRIPTIONS: Record<string, string> = {
  '400': 'Bad request',
  '401': 'Unauthorized',
  '403': 'Forbidden',
  '404': 'Not found',
  '409': 'Conflict',
  '410': 'Gone',
  '413': 'Payload too large',
  '415': 'Unsupported media type',
  '422': 'Unprocessable content',
  '429': 'Too many requests',
  '500': 'Internal server error',
  '502': 'Bad gateway',
  '503': 'Service unavailable',
  '504': 'Gateway timeout',
}

/** The documented response of a status: problem+json whose `code` is one of `codes`. */
export function problemResponse(status: string, codes: readonly string[]) {
  return {
    description: `${STATUS_DESCRIPTIONS[status] ?? 'Problem'}: ${codes.join(', ')}`,
    content: {
      [PROBLEM_MEDIA_TYPE]: {
        schema: {
          allOf: [{ $ref: '#/components/schemas/Problem' }, { properties: { code: { enum: [...codes] } } }],
        },
      },
    },
  }
}

/** The codes a documented problem response allows (the inverse of problemResponse). */
export function codesOfResponse(response: unknown): string[] {
  const schema = (response as { content?: Record<string, { schema?: { allOf?: Schema[] } }> })?.content?.[
    PROBLEM_MEDIA_TYPE
  ]?.schema
  const properties = schema?.allOf?.[1]?.properties as { code?: { enum?: string[] } } | undefined
  return properties?.code?.enum ?? []
}

/** Adds problem responses for these codes to an operation, merging with problem responses already there. */
export function addProblemResponses(operation: Operation, byStatus: Record<string, readonly string[]>): void {
  operation.responses ??= {}
  for (const [status, codes] of Object.entries(byStatus)) {
    const existing = operation.responses[status]
    if (existing && !codesOfResponse(existing).length) continue // the route documents this status itself
    const merged = [...new Set([...codesOfResponse(existing), ...codes])].sort()
    operation.responses[status] = problemResponse(status, merged)
  }
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const

/** Every operation of a document, with its path and method. */
export function operationsOf(document: { paths?: Record<string, Record<string, unknown>> }) {
  const out: { path: string; method: string; operation: Operation }[] = []
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item[method] as Operation | undefined
      if (operation) out.push({ path, method, operation })
    }
  }
  return out
}

/**
 * The service's OpenAPI 3.1 document, generated by @fastify/swagger from the TypeBox route schemas: tags (the
 * service name), default summaries and operation ids, the four security schemes, and on every operation the
 * problem+json answers it can give with their codes (service-kit's generic ones the route can trigger, plus the
 * service's `defineErrors` codes, or the route's `config.problems`). The catalogue of every code rides along as
 * `x-gatehouse-errors`, which the gateway's /errors pages are built from. Wildcard routes (the gateway's proxy)
 * and `schema.hide` routes are left out.
 */
export function installOpenApiDocument(app: FastifyInstance, options: OpenApiOptions): void {
  const { service, catalogue } = options
  // Called, not registered: a registered plugin loads at ready, and its onRoute hook would miss every route added
  // before (routes declared on the root right after createService). @fastify/swagger exports the bare function.
  fastifySwagger(
    app,
    {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: options.title ?? `Gatehouse ${service}`,
          version: options.version ?? '1.0.0',
          ...(options.description ? { description: options.description } : {}),
        },
        tags: [{ name: service }],
        components: { securitySchemes: SECURITY_SCHEMES as unknown as Record<string, never> },
      },
      transform: ({ schema, url: routeUrl, route }) => {
        // A plugin's '/' route answers with and without the slash; Fastify leaves the slashed one in route.url.
        const url = routeUrl.length > 1 && routeUrl.endsWith('/') ? routeUrl.slice(0, -1) : routeUrl
        const own = (schema ?? {}) as Schema
        if (url.includes('*') || own.hide || route.method === 'HEAD')
          return { schema: { ...own, hide: true }, url }
        const method = typeof route.method === 'string' ? route.method : (route.method[0] ?? 'GET')
        const documented = { ...route, schema: own, url }
        const security = securityOf(documented, options)
        // The document is built on its first request, after ready: callerContext (createService's internalSecret)
        // has decorated the request by then, if the service verifies the gateway's context at all.
        const callerContext = options.callerContext ?? app.hasRequestDecorator('caller')
        return {
          url,
          schema: {
            ...own,
            tags: own.tags ?? [service],
            summary: own.summary ?? summaryOf(method, url),
            operationId: own.operationId ?? operationIdOf(method, url),
            ...(security && security.length > 0 ? { security } : {}),
            [PROBLEMS_EXTENSION]: codesByStatus(
              problemCodesOf(documented, { ...options, callerContext }),
              catalogue.entries,
            ),
          } as unknown as FastifySchema,
        }
      },
      transformObject: (documentObject) => {
        const document = (documentObject as { openapiObject: Schema }).openapiObject as Schema & {
          components?: Schema
        }
        for (const { operation } of operationsOf(document as never)) {
          const byStatus = operation[PROBLEMS_EXTENSION] as Record<string, string[]> | undefined
          delete operation[PROBLEMS_EXTENSION]
          if (byStatus) addProblemResponses(operation, byStatus)
        }
        const components = (document.components ?? {}) as Schema
        document.components = components
        components.schemas = { ...(components.schemas as Schema), Problem: PROBLEM_SCHEMA }
        document['x-gatehouse-service'] = service
        document['x-gatehouse-errors'] = catalogue.entries
        return document as never
      },
    },
    (error) => {
      if (error) throw error
    },
  )
  app.get(
    options.path,
    { logLevel: 'warn', schema: { hide: true }, config: { loadShedding: false } },
    async () => app.swagger(),
  )
}
