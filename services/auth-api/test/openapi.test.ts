import { randomUUID } from 'node:crypto'
import type { TestDb } from '@gatehouse/db-kit/testing'
import {
  type CatalogueEntry,
  codesOfResponse,
  createTestClock,
  operationsOf,
  SECURITY,
  type ServiceInstance,
} from '@gatehouse/service-kit'
import {
  type Conformance,
  conformanceOf,
  type DocumentedRequest,
  documentedCalls,
  documentProblems,
  type OpenApiDocument,
  type OperationRef,
  requestsOf,
} from '@gatehouse/service-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.ts'
import { bearer, PASSWORD, register } from './factories.ts'
import { openTestDb, testConfig } from './fixtures.ts'

let db: TestDb
let app: ServiceInstance
let document: OpenApiDocument
let conformance: Conformance
let documented: ReturnType<typeof documentedCalls>
/** `METHOD /path/{param}` → the codes (unprefixed) of the route's `config.problems`, as declared. */
const declared = new Map<string, readonly { code: string; status: number }[] | undefined>()

const keyOf = (method: string, url: string) =>
  `${method.toUpperCase()} ${url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/(.)\/$/, '$1')}`

beforeAll(async () => {
  db = await openTestDb()
  app = buildApp({ config: testConfig(), db, clock: createTestClock(), logger: false })
  // Before ready: the route plugins load then, and every route they declare passes through here.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    for (const method of methods) {
      if (method === 'HEAD' || (route.schema as { hide?: boolean } | undefined)?.hide) continue
      declared.set(keyOf(method, route.url), route.config?.problems)
    }
  })
  await app.ready()
  document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
  conformance = conformanceOf(document)
  documented = documentedCalls(document, conformance)
})

afterAll(async () => {
  await app?.close()
  await db?.close()
})

const operation = (method: string, path: string) => documented.operation(method, path)
const documentedCodes = (ref: OperationRef) => documented.documentedCodes(ref)

const isProbe = (key: string) => /\/(health|ready)$/.test(key)

/** An answer checked against the document: its status and body as documented, its code listed for the route. */
async function call(method: string, path: string, request: DocumentedRequest = {}) {
  return documented.call(app, method, path, request)
}

const USER_TOKEN_ROUTES = [
  'DELETE /api/auth/2fa/totp',
  'DELETE /api/auth/identities/{id}',
  'DELETE /api/auth/sessions/{id}',
  'GET /api/auth/2fa',
  'GET /api/auth/identities',
  'GET /api/auth/me',
  'GET /api/auth/sessions',
  'POST /api/auth/2fa/backup-codes',
  'POST /api/auth/2fa/totp',
  'POST /api/auth/2fa/totp/confirm',
  'POST /api/auth/email/change',
  'POST /api/auth/logout-all',
  'POST /api/auth/oauth/{provider}/link',
  'POST /api/auth/password/change',
]

describe('auth-api’s OpenAPI document', () => {
  it('is valid OpenAPI 3.1, documents every route, and every route declares the problems it can answer', async () => {
    expect(await documentProblems(document)).toEqual([])
    const documented = operationsOf(document as never).map(({ method, path }) => keyOf(method, path))
    expect(documented.sort()).toEqual([...declared.keys()].sort())
    expect(
      documented.filter((key) => !/\/(health|ready)$/.test(key) || key === 'GET /api/health'),
    ).toHaveLength(33)
    const undeclared = [...declared]
      .filter(([key, problems]) => problems === undefined && !isProbe(key))
      .map(([key]) => key)
    expect(undeclared).toEqual([])
  })

  it('lists each declared problem under its status, and every one is in the error catalogue', () => {
    const catalogue = new Set(
      ((document['x-gatehouse-errors'] ?? []) as CatalogueEntry[]).map((entry) => entry.code),
    )
    const missing: string[] = []
    for (const [key, problems] of declared) {
      const [method = '', path = ''] = key.split(' ')
      const responses = operation(method, path).operation.responses ?? {}
      for (const { code, status } of problems ?? []) {
        const prefixed = `AUTH_API_${code}`
        if (!catalogue.has(prefixed)) missing.push(`${key}: ${prefixed} is not in the catalogue`)
        if (!codesOfResponse(responses[String(status)]).includes(prefixed))
          missing.push(`${key}: ${prefixed} is not documented under ${status}`)
      }
    }
    expect(missing).toEqual([])
  })

  it('documents the user-token routes with userBearer, and each answers 401 without a token or with a bad one', async () => {
    const userRoutes = operationsOf(document as never)
      .filter(({ operation }) => JSON.stringify(operation.security) === JSON.stringify(SECURITY.user))
      .map(({ method, path }) => keyOf(method, path))
    expect(userRoutes.sort()).toEqual(USER_TOKEN_ROUTES)
    const requests = requestsOf(conformance, {
      include: (ref) => USER_TOKEN_ROUTES.includes(keyOf(ref.method, ref.path)),
    })
    expect(requests).toHaveLength(USER_TOKEN_ROUTES.length)
    const seen: string[] = []
    for (const request of requests) {
      for (const [headers, expected] of [
        [{}, 'AUTH_API_UNAUTHENTICATED'],
        [bearer('not-a-token'), 'AUTH_API_INVALID_ACCESS_TOKEN'],
      ] as const) {
        const answer = await call(request.method, request.ref.path, {
          url: request.url,
          headers: { ...request.headers, ...headers },
          ...(request.body === undefined ? {} : { payload: request.body }),
        })
        const where = `${request.method} ${request.ref.path}`
        expect(answer.status, where).toBe(401)
        expect(answer.code, where).toBe(expected)
        expect(answer.listed, where).toContain(expected)
        expect(answer.problems, where).toEqual([])
        seen.push(where)
      }
    }
    expect(seen).toHaveLength(USER_TOKEN_ROUTES.length * 2)
  })

  it('answers what each route’s refusals are documented as', async () => {
    const user = await register(app)
    const token = bearer(user.accessToken)
    const cases: Array<[string, string, Parameters<typeof call>[2], number, string]> = [
      [
        'POST',
        '/api/auth/login',
        { payload: { email: user.email, password: 'not the password' } },
        401,
        'INVALID_CREDENTIALS',
      ],
      [
        'POST',
        '/api/auth/register',
        { payload: { email: user.email, name: 'Again', password: PASSWORD, confirmPassword: PASSWORD } },
        409,
        'EMAIL_TAKEN',
      ],
      [
        'POST',
        '/api/auth/register',
        {
          payload: {
            email: 'weak@example.com',
            name: 'Weak',
            password: 'password',
            confirmPassword: 'password',
          },
        },
        400,
        'WEAK_PASSWORD',
      ],
      ['POST', '/api/auth/refresh', { payload: { refreshToken: 'unknown' } }, 401, 'INVALID_REFRESH_TOKEN'],
      ['POST', '/api/auth/refresh', { payload: {} }, 401, 'UNAUTHENTICATED'],
      ['POST', '/api/auth/verify-email', { payload: { token: 'unknown' } }, 400, 'INVALID_TOKEN'],
      ['POST', '/api/auth/2fa/verify', { payload: { code: '123456' } }, 401, 'MFA_CHALLENGE_INVALID'],
      [
        'DELETE',
        '/api/auth/sessions/{id}',
        { url: `/api/auth/sessions/${randomUUID()}`, headers: token },
        404,
        'SESSION_NOT_FOUND',
      ],
      [
        'POST',
        '/api/auth/password/change',
        { headers: token, payload: { currentPassword: 'not the password', newPassword: `${PASSWORD}!` } },
        403,
        'CURRENT_PASSWORD_INCORRECT',
      ],
      [
        'POST',
        '/api/auth/2fa/backup-codes',
        { headers: token, payload: { code: '123456' } },
        409,
        'TWO_FACTOR_NOT_ENABLED',
      ],
      [
        'GET',
        '/api/auth/oauth/{provider}',
        { url: '/api/auth/oauth/nowhere' },
        404,
        'OAUTH_PROVIDER_UNKNOWN',
      ],
      ['POST', '/api/admin/cleanup-sessions', {}, 401, 'CRON_SECRET_REQUIRED'],
      [
        'GET',
        '/internal/users/{id}',
        { url: `/internal/users/${randomUUID()}` },
        401,
        'INTERNAL_AUTH_REQUIRED',
      ],
      [
        'POST',
        '/api/auth/login',
        { payload: { email: 'not-an-email', password: 'x' } },
        400,
        'VALIDATION_FAILED',
      ],
    ]
    for (const [method, path, request, status, code] of cases) {
      const where = `${method} ${path} → ${code}`
      const answer = await call(method, path, request)
      expect({ status: answer.status, code: answer.code }, where).toEqual({
        status,
        code: `AUTH_API_${code}`,
      })
      expect(answer.listed, where).toContain(`AUTH_API_${code}`)
      expect(answer.problems, where).toEqual([])
    }
  })

  it('says logout needs no credential, and lists only the codes a route declared', () => {
    const logout = operation('POST', '/api/auth/logout')
    expect(logout.operation.security).toEqual([{}, { userBearer: [] }])
    expect(documentedCodes(logout)).toContain('AUTH_API_INVALID_ACCESS_TOKEN')
    const me = documentedCodes(operation('GET', '/api/auth/me'))
    expect(me).toEqual(expect.arrayContaining(['AUTH_API_UNAUTHENTICATED', 'AUTH_API_SESSION_EXPIRED']))
    expect(me).not.toContain('AUTH_API_INVALID_CREDENTIALS')
    expect(me).not.toContain('AUTH_API_TOKEN_REUSED')
    expect(operation('GET', '/.well-known/jwks.json').operation.security).toEqual([])
    expect(operation('POST', '/internal/sessions').operation.security).toEqual(SECURITY.service)
    expect(operation('POST', '/api/admin/cleanup-sessions').operation.security).toEqual(SECURITY.cron)
  })
})
