/**
 * Tests' view of an OpenAPI document: validate it, generate a request for each operation from its schemas, and
 * check an answer against the documented response (status, media type, body schema, problem code).
 */
import { randomUUID } from 'node:crypto'
import { Validator } from '@seriousme/openapi-schema-validator'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { operationsOf, PROBLEM_MEDIA_TYPE } from '../openapi.ts'

type Schema = Record<string, unknown>
export interface OpenApiDocument {
  openapi: string
  paths?: Record<string, Record<string, unknown>>
  components?: Schema
  [key: string]: unknown
}

/** The validator's complaints; empty when the document is valid OpenAPI 3.x. */
export async function documentProblems(document: unknown): Promise<string[]> {
  const result = await new Validator().validate(structuredClone(document) as never)
  if (result.valid) return []
  return (Array.isArray(result.errors) ? result.errors : [result.errors]).map((error) =>
    JSON.stringify(error),
  )
}

const DOC_ID = 'urn:gatehouse:openapi'

/** `#/components/...` references made absolute, so one schema compiles on its own against the document. */
function absoluteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(absoluteRefs)
  if (!value || typeof value !== 'object') return value
  const out: Schema = {}
  for (const [key, inner] of Object.entries(value)) {
    out[key] =
      key === '$ref' && typeof inner === 'string' && inner.startsWith('#/')
        ? DOC_ID + inner
        : absoluteRefs(inner)
  }
  return out
}

export interface Conformance {
  document: OpenApiDocument
  /** A valid value for a schema (minimal where it can be, a fresh uuid for uuids, a future date for dates). */
  sample(schema: unknown): unknown
  /** What is wrong with an answer to this operation; empty when it is documented. */
  check(
    operation: OperationRef,
    answer: { status: number; contentType: string | undefined; body: unknown },
  ): string[]
}

export interface OperationRef {
  path: string
  method: string
  operation: Record<string, unknown> & { responses?: Record<string, unknown> }
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void

export function conformanceOf(document: OpenApiDocument): Conformance {
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  addFormats(ajv)
  ajv.addSchema({ $id: DOC_ID, components: absoluteRefs(document.components ?? {}) })
  const validators = new Map<unknown, ValidateFunction>()
  const validatorOf = (schema: unknown) => {
    let validate = validators.get(schema)
    if (!validate) {
      validate = ajv.compile(absoluteRefs(schema) as Schema)
      validators.set(schema, validate)
    }
    return validate
  }
  const resolve = (schema: Schema): Schema => {
    const ref = schema.$ref
    if (typeof ref !== 'string' || !ref.startsWith('#/')) return schema
    let node: unknown = document
    for (const part of ref.slice(2).split('/')) node = (node as Schema)?.[part]
    return resolve((node ?? {}) as Schema)
  }

  const sample = (raw: unknown, depth = 0): unknown => {
    const schema = resolve((raw ?? {}) as Schema)
    if (depth > 8) return null
    if ('const' in schema) return schema.const
    if (Array.isArray(schema.enum)) return schema.enum[0]
    if (schema.default !== undefined) return schema.default
    if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0]
    const options = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined
    if (options) {
      const chosen = options.find((option) => resolve(option).type !== 'null') ?? options[0]
      return sample(chosen, depth + 1)
    }
    if (Array.isArray(schema.allOf)) {
      return Object.assign({}, ...schema.allOf.map((part) => sample(part, depth + 1) as object))
    }
    const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type
    switch (type ?? (schema.properties ? 'object' : undefined)) {
      case 'object': {
        const out: Schema = {}
        for (const [name, property] of Object.entries((schema.properties ?? {}) as Schema)) {
          out[name] = sample(property, depth + 1)
        }
        return out
      }
      case 'array':
        return Array.from({ length: Number(schema.minItems ?? 0) }, () => sample(schema.items, depth + 1))
      case 'string':
        return stringSample(schema)
      case 'integer':
      case 'number':
        return numberSample(schema)
      case 'boolean':
        return true
      case 'null':
        return null
      default:
        return {}
    }
  }

  const check: Conformance['check'] = (ref, answer) => {
    const where = `${ref.method.toUpperCase()} ${ref.path} → ${answer.status}`
    const responses = ref.operation.responses ?? {}
    const response = (responses[String(answer.status)] ??
      responses[`${String(answer.status)[0]}XX`] ??
      responses.default) as { content?: Record<string, { schema?: unknown }> } | undefined
    if (!response)
      return [`${where}: status not documented (documented: ${Object.keys(responses).join(', ')})`]
    if (!response.content) return []
    const mediaType = (answer.contentType ?? '').split(';')[0]?.trim() ?? ''
    const media = response.content[mediaType]
    if (!media)
      return [`${where}: ${mediaType || 'no content type'} not documented (${Object.keys(response.content)})`]
    if (!media.schema) return []
    const validate = validatorOf(media.schema)
    if (validate(answer.body)) return []
    return [
      `${where}: body does not match the documented schema: ${ajv.errorsText(validate.errors)} ${JSON.stringify(answer.body).slice(0, 300)}`,
    ]
  }

  return { document, sample: (schema) => sample(schema), check }
}

const PATTERN_CANDIDATES = [
  'example',
  'a',
  'abc',
  'A1',
  'tasks:read',
  'example-1',
  'EXAMPLE_1',
  '1',
  'a.b',
  'ab12cd34',
]

function stringSample(schema: Schema): string {
  const min = Number(schema.minLength ?? 0)
  const max = Number(schema.maxLength ?? Number.POSITIVE_INFINITY)
  const fits = (value: string) => value.length >= min && value.length <= max
  switch (schema.format) {
    case 'uuid':
      return randomUUID()
    case 'email':
      return `docs-${randomUUID().slice(0, 8)}@example.com`
    case 'date-time':
      return new Date(Date.now() + 86_400_000).toISOString()
    case 'date':
      return new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)
    case 'uri':
    case 'url':
      return 'https://example.com/docs'
  }
  if (typeof schema.pattern === 'string') {
    const pattern = new RegExp(schema.pattern, 'u')
    const found = PATTERN_CANDIDATES.find((candidate) => pattern.test(candidate) && fits(candidate))
    if (found) return found
  }
  const base = 'example'
  if (fits(base)) return base
  return base
    .repeat(Math.ceil(Math.max(min, 1) / base.length))
    .slice(0, Math.max(min, Math.min(max, base.length)))
}

function numberSample(schema: Schema): number {
  const minimum = typeof schema.minimum === 'number' ? schema.minimum : undefined
  const exclusive = typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : undefined
  const maximum = typeof schema.maximum === 'number' ? schema.maximum : undefined
  const value = minimum ?? exclusive ?? 1
  return maximum !== undefined ? Math.min(value, maximum) : value
}

export interface GeneratedRequest {
  ref: OperationRef
  method: string
  /** Path with parameters filled in and the required query string. */
  url: string
  headers: Record<string, string>
  body?: unknown
}

/**
 * One request per operation, generated from its schemas. `params` fills path parameters by name (real ids make
 * the success paths reachable); `headersFor` gives the credentials for the operation's security.
 */
export function requestsOf(
  conformance: Conformance,
  options: {
    params?: Record<string, string>
    headersFor?: (
      security: Record<string, string[]>[] | undefined,
      ref: OperationRef,
    ) => Record<string, string>
    include?: (ref: OperationRef) => boolean
  } = {},
): GeneratedRequest[] {
  const out: GeneratedRequest[] = []
  for (const ref of operationsOf(conformance.document as never) as OperationRef[]) {
    if (options.include && !options.include(ref)) continue
    const parameters = (ref.operation.parameters ?? []) as {
      in: string
      name: string
      required?: boolean
      schema?: unknown
    }[]
    let url = ref.path
    const query = new URLSearchParams()
    const headers: Record<string, string> = {}
    for (const parameter of parameters) {
      const value = String(options.params?.[parameter.name] ?? conformance.sample(parameter.schema))
      if (parameter.in === 'path') url = url.replace(`{${parameter.name}}`, encodeURIComponent(value))
      else if (parameter.in === 'query' && parameter.required) query.set(parameter.name, value)
      else if (parameter.in === 'header' && parameter.required) headers[parameter.name] = value
    }
    const security = ref.operation.security as Record<string, string[]>[] | undefined
    Object.assign(headers, options.headersFor?.(security, ref) ?? {})
    const content = (
      ref.operation.requestBody as { content?: Record<string, { schema?: unknown }> } | undefined
    )?.content
    const json = content?.['application/json']
    const request: GeneratedRequest = {
      ref,
      method: ref.method.toUpperCase(),
      url: query.size > 0 ? `${url}?${query}` : url,
      headers,
    }
    if (json) {
      request.body = conformance.sample(json.schema)
      headers['content-type'] = 'application/json'
    }
    out.push(request)
  }
  return out
}

/** The codes an answer's problem body carries, for checking them against the catalogue. */
export function problemCodeOf(answer: {
  contentType: string | undefined
  body: unknown
}): string | undefined {
  if (!answer.contentType?.startsWith(PROBLEM_MEDIA_TYPE)) return undefined
  const code = (answer.body as { code?: unknown } | undefined)?.code
  return typeof code === 'string' ? code : undefined
}

/**
 * What is wrong with the answer to a generated request: anything `check` finds against the documented response,
 * and a problem code the catalogue (`codes`) does not list.
 */
export function answerProblems(
  conformance: Conformance,
  request: GeneratedRequest,
  answer: { status: number; contentType: string | undefined; body: unknown },
  codes: { has(code: string): boolean },
): string[] {
  const problems = conformance.check(request.ref, answer)
  const code = problemCodeOf(answer)
  if (code && !codes.has(code))
    problems.push(`${request.method} ${request.url}: ${code} is not in the catalogue`)
  return problems
}
