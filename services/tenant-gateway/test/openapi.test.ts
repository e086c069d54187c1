import { randomUUID } from 'node:crypto'
import diagnostics from 'node:diagnostics_channel'
import type { TestDb } from '@gatehouse/db-kit/testing'
import {
  type CatalogueEntry,
  codesOfResponse,
  operationsOf,
  SECURITY,
  type ServiceInstance,
  serviceNamed,
} from '@gatehouse/service-kit'
import {
  type Conformance,
  conformanceOf,
  type DocumentedRequest,
  documentedCalls,
  documentProblems,
  type GeneratedRequest,
  type OpenApiDocument,
  type OperationRef,
  requestsOf,
} from '@gatehouse/service-kit/testing'
import type { FastifyInstance, RouteOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKey, createTenant, type TestUser, userOf } from './factories.ts'
import { type AuthStub, bearer, gateway, openTestDb, startAuthStub } from './fixtures.ts'

interface Declared {
  problems: readonly { code: string; status: number }[] | undefined
  summary: unknown
  security: unknown
}

const PREFIX = 'TENANT_GATEWAY_'
/** The gateway's own routes; the rest of its document is the proxy's catch-alls. */
const OWN_PREFIXES = serviceNamed('tenant-gateway').publicPrefixes
// Small per-user and per-IP budgets, so that a test can spend one; each user of this file has its own.
const LIMITS = { ADMIN_RATE_LIMIT_MAX: '40', ADMIN_WRITE_RATE_LIMIT_MAX: '40', PUBLIC_RATE_LIMIT_MAX: '10' }

let db: TestDb
let auth: AuthStub
let app: ServiceInstance
/** The same gateway with auth-api and Redis out of reach, its rate limit failing closed. */
let down: ServiceInstance
let document: OpenApiDocument
let conformance: Conformance
let documented: ReturnType<typeof documentedCalls>
/** `METHOD /path/{param}` → what the route declares (its `config.problems`, summary and security). */
const declared = new Map<string, Declared>()
/** `METHOD /path/{param}` → every code (unprefixed) the route answered in this file. */
const answered = new Map<string, Set<string>>()

const keyOf = (method: string, url: string) =>
  `${method.toUpperCase()} ${url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/(.)\/$/, '$1')}`
const isOwn = (key: string) => {
  const path = key.split(' ')[1] ?? ''
  return OWN_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`))
}

// buildApp declares its routes as it goes (awaited registers): only a hook on the instance from its very start sees
// them all. Fastify announces every new instance on this channel, for instrumentation like this.
const initialization = diagnostics.channel('fastify.initialization')
function collectRoutes(message: unknown) {
  ;(message as { fastify: FastifyInstance }).fastify.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    const schema = (route.schema ?? {}) as { hide?: boolean; summary?: unknown; security?: unknown }
    for (const method of methods) {
      if (method === 'HEAD' || schema.hide) continue
      declared.set(keyOf(method, route.url), {
        problems: route.config?.problems,
        summary: schema.summary,
        security: schema.security,
      })
    }
  })
}

beforeAll(async () => {
  db = await openTestDb()
  auth = await startAuthStub()
  initialization.subscribe(collectRoutes)
  try {
    app = await gateway({ db, auth, config: LIMITS })
  } finally {
    initialization.unsubscribe(collectRoutes)
  }
  // Nothing listens on port 1: no JWKS, no auth-api lookups, no Redis.
  down = await gateway({ db, config: { REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_FAIL_OPEN: 'false' } })
  document = (await app.inject({ method: 'GET', url: '/openapi/tenant-gateway.json' })).json()
  conformance = conformanceOf(document)
  documented = documentedCalls(document, conformance)
})

afterAll(async () => {
  await down?.close()
  await app?.close()
  await auth?.close()
  await db?.close()
})

const operation = (method: string, path: string) => documented.operation(method, path)
const _documentedCodes = (ref: OperationRef) => documented.documentedCodes(ref)

interface Request extends DocumentedRequest {
  on?: ServiceInstance
}

/** An answer checked against the document (status, body, code listed for the route), its code recorded. */
async function call(method: string, path: string, request: Request = {}) {
  const answer = await documented.call(request.on ?? app, method, path, request)
  const key = keyOf(method, path)
  if (answer.code) answered.set(key, new Set([...(answered.get(key) ?? []), answer.code.replace(PREFIX, '')]))
  return answer
}

/** Sends a generated request with these headers (and the request's own) and expects `status` and `code`. */
async function expectRefusal(
  request: GeneratedRequest,
  headers: Record<string, string>,
  status: number,
  code: string,
  on: ServiceInstance = app,
) {
  const answer = await call(request.method, request.ref.path, {
    url: request.url,
    headers: { ...request.headers, ...headers },
    on,
    ...(request.body === undefined ? {} : { payload: request.body }),
  })
  const where = `${request.method} ${request.ref.path} → ${code}`
  expect({ status: answer.status, code: answer.code }, where).toEqual({ status, code: PREFIX + code })
  expect(answer.listed, where).toContain(PREFIX + code)
  expect(answer.problems, where).toEqual([])
}

const userRoutes = () =>
  operationsOf(document as never)
    .filter(({ operation }) => JSON.stringify(operation.security) === JSON.stringify(SECURITY.user))
    .map(({ method, path }) => keyOf(method, path))
    .sort()

/** One generated request per user-token route, on these ids. */
const userRequests = (params: Record<string, string>) =>
  requestsOf(conformance, { params, include: (ref) => userRoutes().includes(keyOf(ref.method, ref.path)) })

/** An owner's tenant with a member, an admin and a key: what the refusals below act on. */
interface Setup {
  owner: TestUser
  admin: TestUser
  member: TestUser
  stranger: TestUser
  tenantId: string
  keyId: string
}
let setup: Setup

async function putMember(owner: TestUser, tenantId: string, user: TestUser, role: string) {
  const answer = await call('PUT', '/api/tenants/{id}/members/{userId}', {
    url: `/api/tenants/${tenantId}/members/${user.id}`,
    headers: owner.headers,
    payload: { role },
  })
  expect(answer.status).toBe(200)
}

describe('tenant-gateway’s own OpenAPI document', () => {
  beforeAll(async () => {
    const [owner, admin, member, stranger] = await Promise.all([1, 2, 3, 4].map(() => userOf(auth)))
    const tenantId = await createTenant(app, owner!)
    await putMember(owner!, tenantId, admin!, 'admin')
    await putMember(owner!, tenantId, member!, 'member')
    const { id: keyId } = await createKey(app, owner!, tenantId)
    setup = { owner: owner!, admin: admin!, member: member!, stranger: stranger!, tenantId, keyId }
  })

  it('is valid OpenAPI 3.1, documents every route, and each of its routes has a summary, a security and its problems', async () => {
    expect(await documentProblems(document)).toEqual([])
    const documented = operationsOf(document as never)
      .map(({ method, path }) => keyOf(method, path))
      .filter(isOwn)
    const own = [...declared.keys()].filter(isOwn)
    expect(documented.sort()).toEqual(own.sort())
    expect(own).toHaveLength(17)
    const gaps = own.flatMap((key) => {
      const route = declared.get(key)!
      return [
        ...(route.problems === undefined ? [`${key}: no config.problems`] : []),
        ...(typeof route.summary === 'string' && route.summary ? [] : [`${key}: no summary`]),
        ...(route.security === undefined ? [`${key}: no security`] : []),
      ]
    })
    expect(gaps).toEqual([])
  })

  it('lists each declared problem under its status, and every one is in the error catalogue', () => {
    const catalogue = new Set(
      ((document['x-gatehouse-errors'] ?? []) as CatalogueEntry[]).map((entry) => entry.code),
    )
    const missing: string[] = []
    for (const [key, { problems }] of declared) {
      if (!isOwn(key)) continue
      const [method = '', path = ''] = key.split(' ')
      const responses = operation(method, path).operation.responses ?? {}
      for (const { code, status } of problems ?? []) {
        if (!catalogue.has(PREFIX + code)) missing.push(`${key}: ${PREFIX}${code} is not in the catalogue`)
        if (!codesOfResponse(responses[String(status)]).includes(PREFIX + code))
          missing.push(`${key}: ${PREFIX}${code} is not documented under ${status}`)
      }
    }
    expect(missing).toEqual([])
  })

  it('documents tenant administration as needing a user token and key verification as needing none', () => {
    expect(userRoutes()).toEqual([...declared.keys()].filter((key) => key.includes(' /api/tenants')).sort())
    expect(userRoutes()).toHaveLength(16)
    expect(operation('POST', '/api/keys/verify').operation.security).toEqual(SECURITY.public)
  })

  it('answers 401 on every user-token route without a token, with a bad one or with an API key', async () => {
    const requests = userRequests({ id: setup.tenantId, keyId: setup.keyId, userId: setup.member.id })
    expect(requests).toHaveLength(16)
    for (const request of requests) {
      await expectRefusal(request, {}, 401, 'UNAUTHENTICATED')
      await expectRefusal(request, bearer('not.a.token'), 401, 'ACCESS_TOKEN_INVALID')
      await expectRefusal(request, { 'x-api-key': `gh_${'a'.repeat(40)}` }, 401, 'USER_TOKEN_REQUIRED')
    }
  })

  it('answers 503 when access tokens cannot be checked, and verification fails closed without its store', async () => {
    const params = { id: setup.tenantId, keyId: setup.keyId, userId: setup.member.id }
    for (const request of userRequests(params)) {
      await expectRefusal(request, setup.owner.headers, 503, 'AUTH_UNAVAILABLE', down)
    }
    const verify = await call('POST', '/api/keys/verify', { payload: { key: 'gh_x' }, on: down })
    expect({ status: verify.status, code: verify.code }).toEqual({
      status: 503,
      code: `${PREFIX}RATE_LIMIT_UNAVAILABLE`,
    })
    expect(verify.listed).toContain(`${PREFIX}RATE_LIMIT_UNAVAILABLE`)
    expect(verify.problems).toEqual([])
  })

  it('answers 404 to a non-member on every tenant route and 403 to a member below the role', async () => {
    const params = { id: setup.tenantId, keyId: setup.keyId, userId: setup.member.id }
    const onTenant = userRequests(params).filter((request) => request.ref.path.includes('{id}'))
    expect(onTenant).toHaveLength(14)
    for (const request of onTenant) {
      await expectRefusal(request, setup.stranger.headers, 404, 'TENANT_NOT_FOUND')
    }
    // What a member may do: read the tenant, its members and its keys.
    const memberReads = [
      'GET /api/tenants/{id}',
      'GET /api/tenants/{id}/members',
      'GET /api/tenants/{id}/keys',
      'GET /api/tenants/{id}/keys/{keyId}',
    ]
    for (const request of onTenant) {
      const key = keyOf(request.method, request.ref.path)
      if (memberReads.includes(key)) {
        const answer = await call(request.method, request.ref.path, {
          url: request.url,
          headers: setup.member.headers,
        })
        expect({ status: answer.status, problems: answer.problems }, key).toEqual({
          status: 200,
          problems: [],
        })
      } else await expectRefusal(request, setup.member.headers, 403, 'FORBIDDEN')
    }
    // Members are the owners’ to change.
    const [putMember] = userRequests(params).filter(
      (request) => keyOf(request.method, request.ref.path) === 'PUT /api/tenants/{id}/members/{userId}',
    )
    await expectRefusal(putMember!, setup.admin.headers, 403, 'FORBIDDEN')
  })

  it('answers 429 once a user’s budget of reads or of changes is spent', async () => {
    const spender = await userOf(auth)
    for (let i = 0; i < Number(LIMITS.ADMIN_RATE_LIMIT_MAX); i++) {
      await app.inject({ method: 'GET', url: '/api/tenants', headers: spender.headers })
    }
    for (let i = 0; i < Number(LIMITS.ADMIN_WRITE_RATE_LIMIT_MAX); i++) {
      // Counted before the body is validated: a change refused as invalid still spends the budget.
      await app.inject({ method: 'POST', url: '/api/tenants', headers: spender.headers, payload: {} })
    }
    const requests = userRequests({ id: setup.tenantId, keyId: setup.keyId, userId: setup.member.id })
    for (const request of requests) await expectRefusal(request, spender.headers, 429, 'RATE_LIMITED')

    let verify: Awaited<ReturnType<typeof call>> | undefined
    for (let i = 0; i <= Number(LIMITS.PUBLIC_RATE_LIMIT_MAX); i++) {
      verify = await call('POST', '/api/keys/verify', { payload: { key: `gh_${randomUUID()}` } })
      expect(verify.problems).toEqual([])
    }
    expect({ status: verify?.status, code: verify?.code }).toEqual({
      status: 429,
      code: `${PREFIX}RATE_LIMITED`,
    })
    expect(verify?.listed).toContain(`${PREFIX}RATE_LIMITED`)
  })

  it('answers each route’s own refusals with a code listed for it', async () => {
    const { owner, member, tenantId } = setup
    const revoked = await createKey(app, owner, tenantId, { name: 'old' })
    const revoke = await call('POST', '/api/tenants/{id}/keys/{keyId}/revoke', {
      url: `/api/tenants/${tenantId}/keys/${revoked.id}/revoke`,
      headers: owner.headers,
    })
    expect(revoke.status).toBe(200)
    const tenant = `/api/tenants/${tenantId}`
    const unknown = randomUUID()
    const asOwner = (request: Request) => ({ ...request, headers: { ...owner.headers, ...request.headers } })
    const cases: Array<[string, string, Request, number, string]> = [
      ['POST', '/api/tenants', asOwner({ payload: { name: '' } }), 400, 'VALIDATION_FAILED'],
      [
        'POST',
        '/api/tenants',
        asOwner({ payload: '{"name":', headers: { 'content-type': 'application/json' } }),
        400,
        'MALFORMED_JSON',
      ],
      [
        'POST',
        '/api/tenants',
        asOwner({ payload: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      ['GET', '/api/tenants/{id}', asOwner({ url: `/api/tenants/${unknown}` }), 404, 'TENANT_NOT_FOUND'],
      ['GET', '/api/tenants/{id}', asOwner({ url: '/api/tenants/not-a-uuid' }), 400, 'VALIDATION_FAILED'],
      [
        'PUT',
        '/api/tenants/{id}/usage-alert',
        asOwner({ url: `${tenant}/usage-alert`, payload: { usageAlertPercent: 0 } }),
        400,
        'VALIDATION_FAILED',
      ],
      [
        'PUT',
        '/api/tenants/{id}/members/{userId}',
        asOwner({ url: `${tenant}/members/${unknown}`, payload: { role: 'member' } }),
        404,
        'USER_NOT_FOUND',
      ],
      [
        'PUT',
        '/api/tenants/{id}/members/{userId}',
        asOwner({ url: `${tenant}/members/${owner.id}`, payload: { role: 'admin' } }),
        409,
        'LAST_OWNER',
      ],
      [
        'PUT',
        '/api/tenants/{id}/members/{userId}',
        asOwner({ url: `${tenant}/members/${member.id}`, payload: { role: 'boss' } }),
        400,
        'VALIDATION_FAILED',
      ],
      [
        'DELETE',
        '/api/tenants/{id}/members/{userId}',
        asOwner({ url: `${tenant}/members/${unknown}` }),
        404,
        'MEMBER_NOT_FOUND',
      ],
      [
        'DELETE',
        '/api/tenants/{id}/members/{userId}',
        asOwner({ url: `${tenant}/members/${owner.id}` }),
        409,
        'LAST_OWNER',
      ],
      [
        'POST',
        '/api/tenants/{id}/keys',
        asOwner({ url: `${tenant}/keys`, payload: { name: 'past', expiresAt: '2000-01-01T00:00:00Z' } }),
        400,
        'VALIDATION_FAILED',
      ],
      [
        'GET',
        '/api/tenants/{id}/keys/{keyId}',
        asOwner({ url: `${tenant}/keys/${unknown}` }),
        404,
        'KEY_NOT_FOUND',
      ],
      [
        'GET',
        '/api/tenants/{id}/keys/{keyId}',
        asOwner({ url: `${tenant}/keys/not-a-key-id` }),
        400,
        'VALIDATION_FAILED',
      ],
      [
        'POST',
        '/api/tenants/{id}/keys/{keyId}/rotate',
        asOwner({ url: `${tenant}/keys/${unknown}/rotate` }),
        404,
        'KEY_NOT_FOUND',
      ],
      [
        'POST',
        '/api/tenants/{id}/keys/{keyId}/rotate',
        asOwner({ url: `${tenant}/keys/${revoked.id}/rotate`, payload: { overlapSeconds: 0 } }),
        409,
        'KEY_REVOKED',
      ],
      [
        'POST',
        '/api/tenants/{id}/keys/{keyId}/rotate',
        asOwner({ url: `${tenant}/keys/${setup.keyId}/rotate`, payload: { overlapSeconds: -1 } }),
        400,
        'VALIDATION_FAILED',
      ],
      [
        'POST',
        '/api/tenants/{id}/keys/{keyId}/revoke',
        asOwner({ url: `${tenant}/keys/${unknown}/revoke` }),
        404,
        'KEY_NOT_FOUND',
      ],
      ['POST', '/api/keys/verify', { payload: {} }, 400, 'VALIDATION_FAILED'],
    ]
    for (const [method, path, request, status, code] of cases) {
      const where = `${method} ${path} → ${code}`
      const answer = await call(method, path, request)
      expect({ status: answer.status, code: answer.code }, where).toEqual({ status, code: PREFIX + code })
      expect(answer.listed, where).toContain(PREFIX + code)
      expect(answer.problems, where).toEqual([])
    }
  })

  it('declares no code a route was not seen to answer', () => {
    const unseen = [...declared]
      .filter(([key]) => isOwn(key))
      .flatMap(([key, { problems }]) =>
        (problems ?? [])
          .filter(({ code }) => !answered.get(key)?.has(code))
          .map(({ code }) => `${key}: ${code}`),
      )
    expect(unseen).toEqual([])
  })
})
