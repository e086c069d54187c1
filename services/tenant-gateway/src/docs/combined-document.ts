import {
  addProblemResponses,
  type CatalogueEntry,
  codesByStatus,
  operationsOf,
  SECURITY,
} from '@gatehouse/service-kit'
import { errors } from '../errors.ts'
import type { Upstream } from '../proxy/route-table.ts'

type Json = Record<string, unknown>
type Operation = Json & { responses?: Json; security?: unknown; parameters?: Json[] }

export interface ServiceDocument {
  openapi: string
  info?: Json
  paths?: Record<string, Record<string, unknown>>
  components?: Json & { schemas?: Json; securitySchemes?: Json }
  tags?: { name: string }[]
  'x-gatehouse-errors'?: CatalogueEntry[]
  [key: string]: unknown
}

/** What the gateway itself can answer on a forwarded route, before or instead of the upstream. */
const PROXY_PROBLEMS = [
  errors.RATE_LIMIT_UNAVAILABLE,
  errors.UPSTREAM_UNAVAILABLE,
  errors.UPSTREAM_BUSY,
  errors.UPSTREAM_TIMEOUT,
  errors.BODY_TOO_LARGE,
]
/** ...and on a tenant route, while resolving the caller. */
const TENANT_PROBLEMS = [
  errors.UNAUTHENTICATED,
  errors.API_KEY_INVALID,
  errors.ACCESS_TOKEN_INVALID,
  errors.TENANT_REQUIRED,
  errors.TENANT_MISMATCH,
  errors.TENANT_SUSPENDED,
  errors.TENANT_NOT_FOUND,
  errors.AUTH_UNAVAILABLE,
  errors.USAGE_EXCEEDED,
]
/** service-kit's codes the gateway answers on any forwarded request. */
const GENERIC_PROXY_CODES = ['RATE_LIMITED', 'OVERLOADED', 'INTERNAL']

/** The gateway's own routes that act for a person: the admin scope of app.ts (adminAuth). */
const USER_TOKEN_PREFIXES = ['/api/tenants']

const TENANT_HEADER = {
  name: 'x-tenant-id',
  in: 'header',
  required: false,
  description: 'The tenant to act for: required with a user access token, optional with an API key.',
  schema: { type: 'string', format: 'uuid' },
}

function segmentsOf(path: string): string[] {
  return path.toLowerCase().split('/').filter(Boolean)
}

function underPrefix(path: string, prefixes: readonly string[]): boolean {
  return prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`))
}

const isProbe = (path: string) => /^\/api\/[a-z-]+\/(health|ready)$/.test(path)

/** Only what a client can call through the gateway: never internal, operator (admin) or service-token routes. */
export function isPublicOperation(path: string, operation: Operation, upstream: Upstream): boolean {
  if (!underPrefix(path, upstream.prefixes)) return false
  const segments = segmentsOf(path)
  if (segments.includes('internal') || segments.includes('admin')) return false
  const security = (operation.security ?? []) as Json[]
  const schemes = security.flatMap((requirement) => Object.keys(requirement))
  return !(
    schemes.length > 0 && schemes.every((scheme) => scheme === 'cronSecret' || scheme === 'serviceToken')
  )
}

/** Names of an upstream's component schemas prefixed with the service (two services may both have `def-0`). */
function renameRefs(value: unknown, rename: (name: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => renameRefs(item, rename))
  if (!value || typeof value !== 'object') return value
  const out: Json = {}
  for (const [key, inner] of Object.entries(value)) {
    const ref =
      key === '$ref' && typeof inner === 'string' ? /^#\/components\/schemas\/(.+)$/.exec(inner) : null
    out[key] = ref?.[1] ? `#/components/schemas/${rename(ref[1])}` : renameRefs(inner, rename)
  }
  return out
}

function prefixed(codes: readonly { code: string }[], prefix: string): string[] {
  return codes.map(({ code }) => `${prefix}_${code}`)
}

export interface CombineInput {
  /** The gateway's own document (app.swagger()). */
  own: ServiceDocument
  /** Each upstream's document, when it could be fetched. */
  upstreams: { upstream: Upstream; document: ServiceDocument | undefined }[]
  /** TENANT_GATEWAY */
  gatewayPrefix: string
}

/**
 * The public API in one document: the gateway's own routes, then each upstream's public operations under its
 * prefixes, each with what the gateway adds in front of it (credentials and x-tenant-id on tenant routes, the
 * gateway's own refusals: 401/403 while resolving the caller, 429, 503, 504). The error catalogue of every service
 * is joined in `x-gatehouse-errors`; upstreams that could not be read are named in `x-gatehouse-unavailable`.
 */
export function combineDocuments({ own, upstreams, gatewayPrefix }: CombineInput): ServiceDocument {
  const paths: Record<string, Record<string, unknown>> = {}
  const schemas: Json = { ...(own.components?.schemas ?? {}) }
  const catalogue: CatalogueEntry[] = [...(own['x-gatehouse-errors'] ?? [])]
  const tags = [...(own.tags ?? [])]
  const unavailable: string[] = []

  const forwarded = upstreams.flatMap(({ upstream }) => upstream.prefixes)
  for (const [path, item] of Object.entries(own.paths ?? {})) {
    // The proxy's own catch-all routes: what is behind them comes from the upstreams' documents.
    if (underPrefix(path, forwarded)) continue
    const copy = structuredClone(item) as Record<string, Operation>
    if (underPrefix(path, USER_TOKEN_PREFIXES)) {
      for (const operation of Object.values(copy))
        operation.security ??= structuredClone(SECURITY.user) as never
    }
    paths[path] = copy
  }

  const entriesByCode = new Map<string, CatalogueEntry>(catalogue.map((entry) => [entry.code, entry]))
  const proxyCodes = [
    ...prefixed(PROXY_PROBLEMS, gatewayPrefix),
    ...GENERIC_PROXY_CODES.map((code) => `${gatewayPrefix}_${code}`),
  ]
  const tenantCodes = prefixed(TENANT_PROBLEMS, gatewayPrefix)

  for (const { upstream, document } of upstreams) {
    if (!document) {
      unavailable.push(upstream.service)
      continue
    }
    const service = upstream.service
    const rename = (name: string) => (name === 'Problem' ? name : `${service}.${name}`)
    for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) {
      if (name !== 'Problem') schemas[rename(name)] = renameRefs(schema, rename)
    }
    for (const entry of document['x-gatehouse-errors'] ?? []) {
      if (!entriesByCode.has(entry.code)) {
        entriesByCode.set(entry.code, entry)
        catalogue.push(entry)
      }
    }
    tags.push(...(document.tags ?? []).filter((tag) => !tags.some((known) => known.name === tag.name)))
    for (const { path, method, operation } of operationsOf(document as never)) {
      if (!isPublicOperation(path, operation, upstream)) continue
      const copy = renameRefs(operation, rename) as Operation
      const probe = isProbe(path)
      const tenantRoute = upstream.access === 'tenant' && !probe
      if (tenantRoute) {
        copy.security = structuredClone(SECURITY.tenant) as never
        copy.parameters = [...(copy.parameters ?? []), TENANT_HEADER]
      }
      const codes = [...proxyCodes, ...(tenantRoute ? tenantCodes : [])]
      addProblemResponses(copy, codesByStatus(codes, [...entriesByCode.values()]))
      paths[path] = { ...(paths[path] ?? {}), [method]: copy }
    }
  }

  return {
    ...own,
    info: {
      title: 'Gatehouse API',
      version: String(own.info?.version ?? '1.0.0'),
      description:
        'The public API of every Gatehouse service, through the gateway. Errors are application/problem+json; ' +
        'each `code` has its page at /errors/<code>.',
    },
    tags,
    paths,
    components: { ...own.components, schemas },
    'x-gatehouse-errors': catalogue.sort((a, b) => a.code.localeCompare(b.code)),
    ...(unavailable.length > 0 ? { 'x-gatehouse-unavailable': unavailable } : {}),
  }
}
