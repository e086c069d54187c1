import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { callerPackageDir, type ErrorRow, registerErrorTable } from './error-tables.ts'
import { isDatabaseError, loggableError } from './loggable-error.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** `AUTH_API` for auth-api: put before every code this service answers with. */
    errorCodePrefix: string
    /** Where problem `type` URLs point: the gateway's error catalogue (ERRORS_BASE_URL). */
    problemTypeBase?: string
    /** Hears every problem answered (the metrics count them by code). */
    problemObserver?: (reply: FastifyReply, problem: Problem) => void
  }
}

export const PROBLEM_TYPE_BASE = 'https://gatehouse.dev/errors/'

export interface FieldError {
  path: string
  message: string
}

export interface Problem {
  type: string
  title: string
  status: number
  detail?: string
  code: string
  requestId?: string
  errors?: FieldError[]
  [extension: string]: unknown
}

/**
 * An error a handler throws on purpose; rendered as application/problem+json. `code` is the stable code without
 * the service prefix (`TOKEN_REUSED`): the service that answers puts its own in front (`AUTH_API_TOKEN_REUSED`),
 * so service-kit's errors carry the prefix of whichever service raised them.
 */
export class ServiceError extends Error {
  constructor(
    readonly code: string,
    readonly statusCode: number,
    readonly title: string,
    readonly detail?: string,
    readonly extensions: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title)
    this.name = 'ServiceError'
  }

  /** The same error with response headers (Retry-After, RateLimit-*, WWW-Authenticate...). */
  withHeaders(headers: Record<string, string>): ServiceError {
    return new ServiceError(this.code, this.statusCode, this.title, this.detail, this.extensions, {
      ...this.headers,
      ...headers,
    })
  }
}

/** Makes one error of the table; its row is readable too (the OpenAPI document lists what a route can answer). */
export interface ErrorFactory {
  (detail?: string, extensions?: Record<string, unknown>): ServiceError
  readonly code: string
  readonly status: number
  readonly title: string
  readonly hint?: string
}

/**
 * A service's closed set of errors: `const errors = defineErrors({ TOKEN_REUSED: [401, 'Refresh token already
 * used'] })`, optionally with what a client should do as a third entry (the error catalogue shows it; without one,
 * the catalogue gives the status's general advice). Every table is registered for the catalogue of its service.
 */
export function defineErrors<K extends string>(table: Record<K, ErrorRow>): Record<K, ErrorFactory> {
  registerErrorTable({ rows: table, packageDir: callerPackageDir(1) })
  const factories = {} as Record<K, ErrorFactory>
  for (const key of Object.keys(table) as K[]) {
    const [status, title, hint] = table[key]
    const factory = (detail?: string, extensions?: Record<string, unknown>) =>
      new ServiceError(key, status, title, detail, extensions)
    factories[key] = Object.assign(factory, { code: key, status, title, ...(hint ? { hint } : {}) })
  }
  return factories
}

/** `https://gatehouse.dev/errors/auth-api-token-reused`: the error's page in the gateway's catalogue. */
export function problemType(code: string, base = PROBLEM_TYPE_BASE): string {
  return base + code.toLowerCase().replaceAll('_', '-')
}

export interface ProblemInput {
  code: string
  title: string
  status: number
  detail?: string
  errors?: FieldError[]
  [extension: string]: unknown
}

const WWW_AUTHENTICATE = 'Bearer realm="gatehouse"'

export function sendProblem(reply: FastifyReply, problem: ProblemInput): FastifyReply {
  const server = reply.server
  const body: Problem = {
    ...problem,
    type: problemType(problem.code, server.problemTypeBase),
    requestId: reply.request.id,
  }
  server.problemObserver?.(reply, body)
  // RFC 9110: a 401 names the scheme to answer with; a service that knows better has set its own.
  if (problem.status === 401 && !reply.hasHeader('www-authenticate'))
    reply.header('www-authenticate', WWW_AUTHENTICATE)
  return reply.code(problem.status).type('application/problem+json').send(body)
}

/** For places that answer instead of throwing (hooks that stop a request, a proxy's error callback). */
export function sendServiceError(reply: FastifyReply, error: ServiceError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value)
  return sendProblem(reply, {
    ...error.extensions,
    code: `${reply.server.errorCodePrefix}_${error.code}`,
    title: error.title,
    status: error.statusCode,
    ...(error.detail ? { detail: error.detail } : {}),
  })
}

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Not acceptable',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  429: 'Too many requests',
  500: 'Internal server error',
  502: 'Bad gateway',
  503: 'Service unavailable',
  504: 'Gateway timeout',
}

const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
}

/** Postgres SQLSTATE on a driver error (drizzle wraps it in `cause`); its message holds SQL and parameters, so never echo it. */
function postgresCode(error: unknown): string | undefined {
  let current: unknown = error
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'EPIPE',
  '57P01',
  '57P03',
  '08006',
  '08001',
  '08003',
])

function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string' && CONNECTION_ERRORS.has(code)) return true
    current = (current as { cause?: unknown }).cause
  }
  return false
}

function validationErrors(error: FastifyError): FieldError[] {
  const context = error.validationContext ?? 'body'
  return (error.validation ?? []).map((issue) => {
    let path = issue.instancePath || ''
    const params = issue.params as Record<string, unknown>
    if (issue.keyword === 'required' && typeof params.missingProperty === 'string') {
      path = `${path}/${params.missingProperty}`
    }
    if (issue.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
      path = `${path}/${params.additionalProperty}`
    }
    return { path: `/${context}${path}`, message: issue.message ?? 'is invalid' }
  })
}

/** problem+json for every error and unknown route of the service, codes under its prefix. */
export const errorHandling = fp(
  async (app: FastifyInstance, { codePrefix }: { codePrefix: string }) => {
    app.decorate('errorCodePrefix', codePrefix)
    installHandlers(app, codePrefix)
  },
  { name: 'gatehouse-error-handling', fastify: '5.x' },
)

function installHandlers(app: FastifyInstance, codePrefix: string): void {
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, {
      code: `${codePrefix}_NOT_FOUND`,
      title: 'Not found',
      status: 404,
      detail: `No route for ${request.method} ${request.url.split('?')[0]}`,
    }),
  )

  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof ServiceError) {
      request.log.info({ code: error.code }, error.title)
      return sendServiceError(reply, error)
    }
    if (error.validation) {
      return sendProblem(reply, {
        code: `${codePrefix}_VALIDATION_FAILED`,
        title: 'Request validation failed',
        status: 400,
        detail: 'One or more fields are invalid.',
        errors: validationErrors(error),
      })
    }
    const fastifyCode = error.code ? FASTIFY_CODES[error.code] : undefined
    const status = error.statusCode ?? 500
    if (fastifyCode || (status >= 400 && status < 500 && !isDatabaseError(error))) {
      request.log.info({ error: loggableError(error) }, 'client error')
      return sendProblem(reply, {
        code: `${codePrefix}_${fastifyCode ?? (status === 429 ? 'RATE_LIMITED' : 'BAD_REQUEST')}`,
        title: STATUS_TITLES[status] ?? 'Bad request',
        status,
        detail: fastifyCode === 'MALFORMED_JSON' ? 'The request body is not valid JSON.' : error.message,
      })
    }
    const pgCode = postgresCode(error)
    // Refusals the database made (duplicate, missing reference, bad value): its SQLSTATE and constraint, no values.
    if (pgCode && /^2[23]/.test(pgCode)) request.log.info({ error: loggableError(error) }, 'database refused')
    if (pgCode === '23505') {
      return sendProblem(reply, {
        code: `${codePrefix}_CONFLICT`,
        title: 'Conflict',
        status: 409,
        detail: 'The resource already exists.',
      })
    }
    if (pgCode === '23503') {
      return sendProblem(reply, {
        code: `${codePrefix}_CONFLICT`,
        title: 'Conflict',
        status: 409,
        detail: 'A referenced resource does not exist.',
      })
    }
    if (pgCode === '22P02' || pgCode === '23514' || pgCode === '22001') {
      return sendProblem(reply, {
        code: `${codePrefix}_BAD_REQUEST`,
        title: 'Bad request',
        status: 400,
        detail: 'A value is not acceptable.',
      })
    }
    if (isDatabaseUnavailable(error)) {
      request.log.error(
        { code: postgresCode(error) ?? (error as { code?: string }).code },
        'database unavailable',
      )
      reply.header('retry-after', '5')
      return sendProblem(reply, {
        code: `${codePrefix}_UNAVAILABLE`,
        title: 'Service unavailable',
        status: 503,
        detail: 'The database is unreachable; retry shortly.',
      })
    }
    // Never the message of a database error: drizzle's holds the SQL and its parameters (loggableError).
    request.log.error({ error: loggableError(error) }, 'unhandled error')
    return sendProblem(reply, {
      code: `${codePrefix}_INTERNAL`,
      title: 'Internal server error',
      status: 500,
      detail: 'An unexpected error occurred.',
    })
  })
}
