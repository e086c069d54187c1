import type { AddressInfo } from 'node:net'
import type { TestDb } from '@gatehouse/db-kit/testing'
import {
  createService,
  createTestClock,
  defineErrors,
  SECURITY,
  type ServiceInstance,
  type TestClock,
} from '@gatehouse/service-kit'
import {
  answerProblems,
  conformanceOf,
  documentProblems,
  type OpenApiDocument,
  requestsOf,
} from '@gatehouse/service-kit/testing'
import Type from 'typebox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKey, createTenant, type TestUser, userOf } from './factories.ts'
import { type AuthStub, gateway, openTestDb, startAuthStub, TEST_START } from './fixtures.ts'

/** Upstreams built on service-kit like the real ones: their own document, catalogue and metrics on their port. */
const authErrors = defineErrors({
  INVALID_CREDENTIALS: [401, 'Invalid email or password', 'Check both, then retry.'],
})
const bomErrors = defineErrors({ TASK_NOT_FOUND: [404, 'Task not found'] })

const Task = Type.Object({ id: Type.String({ format: 'uuid' }), title: Type.String() })

async function listen(app: ServiceInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}

function authUpstream(): ServiceInstance {
  const app = createService({ name: 'auth-api', logger: false, errors: [authErrors] })
  app.register(
    async (scope: ServiceInstance) => {
      scope.post(
        '/login',
        {
          schema: {
            body: Type.Object({
              email: Type.String({ format: 'email' }),
              password: Type.String({ minLength: 8 }),
            }),
            response: { 200: Type.Object({ accessToken: Type.String() }) },
          },
        },
        async () => {
          throw authErrors.INVALID_CREDENTIALS()
        },
      )
      scope.get(
        '/me',
        { schema: { security: SECURITY.user, response: { 200: Type.Object({ id: Type.String() }) } } },
        async () => {
          throw authErrors.INVALID_CREDENTIALS('no session')
        },
      )
    },
    { prefix: '/api/auth' },
  )
  app.post('/internal/sessions', async () => ({ id: 'x' }))
  app.post('/api/admin/cleanup', async () => ({ removed: 0 }))
  app.post('/api/auth/internal/peek', async () => ({}))
  return app
}

function bomUpstream(): ServiceInstance {
  const app = createService({ name: 'bom-triggers', logger: false, errors: [bomErrors] })
  app.register(
    async (scope: ServiceInstance) => {
      scope.get(
        '/',
        { schema: { response: { 200: Type.Object({ tasks: Type.Array(Task) }) } } },
        async () => ({
          tasks: [],
        }),
      )
      scope.get(
        '/:id',
        { schema: { params: Type.Object({ id: Type.String({ format: 'uuid' }) }), response: { 200: Task } } },
        async () => {
          throw bomErrors.TASK_NOT_FOUND()
        },
      )
    },
    { prefix: '/api/tasks' },
  )
  return app
}

let db: TestDb
let auth: AuthStub
let clock: TestClock
let app: ServiceInstance
let authApi: ServiceInstance
let bom: ServiceInstance
let owner: TestUser
let tenantId: string
let key: string
let keyId: string
let documentFetches = 0

beforeAll(async () => {
  db = await openTestDb()
  auth = await startAuthStub()
  clock = createTestClock(TEST_START)
  authApi = authUpstream()
  bom = bomUpstream()
  bom.addHook('onRequest', async (request) => {
    if (request.url === '/openapi.json') documentFetches += 1
  })
  const [authUrl, bomUrl] = await Promise.all([listen(authApi), listen(bom)])
  app = await gateway({
    db,
    auth,
    clock,
    // qr-auth and metering are not running: the document says so and carries the others.
    config: { AUTH_API_URL: authUrl, BOM_TRIGGERS_URL: bomUrl },
  })
  owner = await userOf(auth, clock())
  tenantId = await createTenant(app, owner)
  ;({ key, id: keyId } = await createKey(app, owner, tenantId, { name: 'docs' }))
})

afterAll(async () => {
  await app?.close()
  await Promise.all([authApi?.close(), bom?.close(), auth?.close()])
  await db?.close()
})

async function combinedDocument(): Promise<OpenApiDocument> {
  const response = await app.inject('/openapi.json')
  expect(response.statusCode).toBe(200)
  return response.json()
}

const operationKeys = (document: OpenApiDocument) =>
  Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
  )

describe('GET /openapi.json on the gateway: the combined public API', () => {
  it('is valid OpenAPI 3.1 with the gateway’s routes and each upstream’s public ones, nothing internal', async () => {
    const document = await combinedDocument()
    expect(await documentProblems(document)).toEqual([])
    const operations = operationKeys(document)
    const own = operationKeys((await app.inject('/openapi/tenant-gateway.json')).json())
    expect(own.length).toBeGreaterThan(10)
    // The gateway's own routes, all but its catch-all proxy routes (documented by the upstreams instead).
    const prefixes = [
      '/api/auth',
      '/api/qr',
      '/.well-known',
      '/api/bom-triggers',
      '/api/tasks',
      '/api/materials',
      '/api/usage',
    ]
    const served = own.filter(
      (operation) => !prefixes.some((prefix) => operation.split(' ')[1]!.startsWith(prefix)),
    )
    expect(served.length).toBeGreaterThan(10)
    expect(operations).toEqual(expect.arrayContaining(served))
    expect(operations).toEqual(
      expect.arrayContaining([
        'POST /api/tenants',
        'POST /api/keys/verify',
        'POST /api/auth/login',
        'GET /api/auth/me',
        'GET /api/auth/health',
        'GET /api/tasks',
        'GET /api/tasks/{id}',
        'GET /api/bom-triggers/ready',
      ]),
    )
    const leaked = operations.filter((operation) => /internal|admin|metrics|openapi|\*/.test(operation))
    expect(leaked).toEqual([])
    expect(document['x-gatehouse-unavailable']).toEqual(['qr-auth', 'metering'])
  })

  it('documents who may call each operation and what the gateway adds in front of an upstream', async () => {
    const document = (await combinedDocument()) as OpenApiDocument & {
      // biome-ignore lint/suspicious/noExplicitAny: reading deep into a JSON document
      paths: Record<string, Record<string, any>>
    }
    expect(document.paths['/api/tenants']!.post.security).toEqual([{ userBearer: [] }])
    expect(document.paths['/api/keys/verify']!.post.security).toEqual([])
    expect(document.paths['/api/auth/me']!.get.security).toEqual([{ userBearer: [] }])
    expect(document.paths['/api/auth/login']!.post.security).toBeUndefined()
    const tasks = document.paths['/api/tasks']!.get
    expect(tasks.security).toEqual([{ apiKey: [] }, { userBearer: [] }])
    expect(tasks.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'x-tenant-id', in: 'header' })]),
    )
    const codes = (status: string) =>
      tasks.responses[status].content['application/problem+json'].schema.allOf[1].properties.code.enum
    expect(codes('401')).toEqual(
      expect.arrayContaining(['TENANT_GATEWAY_API_KEY_INVALID', 'TENANT_GATEWAY_UNAUTHENTICATED']),
    )
    expect(codes('429')).toEqual(
      expect.arrayContaining(['TENANT_GATEWAY_RATE_LIMITED', 'TENANT_GATEWAY_USAGE_EXCEEDED']),
    )
    expect(codes('429')).toHaveLength(2)
    expect(codes('504')).toEqual(['TENANT_GATEWAY_UPSTREAM_TIMEOUT'])
    expect(document.paths['/api/tasks/{id}']!.get.responses['404'].description).toContain(
      'BOM_TRIGGERS_TASK_NOT_FOUND',
    )
    expect((document.tags as { name: string }[]).map((tag) => tag.name)).toEqual([
      'tenant-gateway',
      'auth-api',
      'bom-triggers',
    ])
  })

  it('answers every documented operation as documented, called through the gateway with and without credentials', async () => {
    const document = await combinedDocument()
    const conformance = conformanceOf(document)
    const catalogue = new Set(
      ((document['x-gatehouse-errors'] ?? []) as { code: string }[]).map((entry) => entry.code),
    )
    const credentialsFor = (security: Record<string, string[]>[] | undefined): Record<string, string> => {
      const schemes = (security ?? []).flatMap((requirement) => Object.keys(requirement))
      if (schemes.includes('apiKey')) return { 'x-api-key': key }
      if (schemes.includes('userBearer')) return owner.headers
      return {}
    }
    const problems: string[] = []
    const statuses = new Set<number>()
    // Destructive operations last, so the reads and writes before them find the tenant and key still there.
    const destructive = (url: string) => /revoke|suspend|members\/|rotate/.test(url)
    for (const withCredentials of [false, true]) {
      const requests = requestsOf(conformance, {
        params: { id: tenantId, keyId, userId: owner.id },
        headersFor: withCredentials ? credentialsFor : () => ({}),
      }).sort((a, b) => Number(destructive(a.url)) - Number(destructive(b.url)))
      for (const request of requests) {
        const response = await app.inject({
          method: request.method as 'GET',
          url: request.url,
          headers: request.headers,
          ...(request.body === undefined ? {} : { payload: JSON.stringify(request.body) }),
        })
        const contentType = response.headers['content-type'] as string | undefined
        const body = contentType?.includes('json') && response.body ? response.json() : response.body
        statuses.add(response.statusCode)
        const answer = { status: response.statusCode, contentType, body }
        problems.push(...answerProblems(conformance, request, answer, catalogue))
      }
    }
    expect(problems).toEqual([])
    // Both sides were reached: successes, the gateway's refusals and the upstreams' own problems.
    expect([...statuses]).toEqual(expect.arrayContaining([200, 201, 401, 404]))
  })

  it('fetches upstream documents once and again only when the cache is stale', async () => {
    await combinedDocument()
    const before = documentFetches
    await combinedDocument()
    await combinedDocument()
    expect(documentFetches).toBe(before)
    clock.advance(61_000)
    // Stale: served from the cache while one refresh runs in the background.
    await combinedDocument()
    await combinedDocument()
    for (let tries = 0; tries < 200 && documentFetches === before; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    await combinedDocument()
    expect(documentFetches).toBe(before + 1)
  })
})

describe('GET /docs', () => {
  it('serves the API reference with its script from the gateway itself: nothing from a CDN', async () => {
    const page = await app.inject('/docs/')
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toContain('text/html')
    const sources = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!)
    expect(sources.length).toBeGreaterThan(0)
    for (const source of sources) expect(source).not.toMatch(/^(https?:)?\/\//)
    expect(page.body).toContain('/openapi.json')
    const script = sources.find((source) => source.endsWith('.js'))!
    const asset = await app.inject(new URL(script, 'http://gateway/docs/').pathname)
    expect(asset.statusCode).toBe(200)
    expect(asset.headers['content-type']).toContain('javascript')
    expect(asset.body.length).toBeGreaterThan(100_000)
  })
})

describe('the error catalogue: /errors and /errors/<code>', () => {
  it('lists every code of the gateway and of the upstreams once, with status, title and what to do', async () => {
    const response = await app.inject('/errors')
    expect(response.statusCode).toBe(200)
    const entries = response.json().errors as { code: string; hint: string }[]
    const codes = entries.map((entry) => entry.code)
    expect(new Set(codes).size).toBe(codes.length)
    expect(codes).toEqual(
      expect.arrayContaining([
        'TENANT_GATEWAY_API_KEY_INVALID',
        'TENANT_GATEWAY_VALIDATION_FAILED',
        'AUTH_API_INVALID_CREDENTIALS',
        'BOM_TRIGGERS_TASK_NOT_FOUND',
        'BOM_TRIGGERS_NOT_FOUND',
      ]),
    )
    for (const entry of entries) expect(entry.hint.length, entry.code).toBeGreaterThan(5)
    const html = await app.inject({ url: '/errors', headers: { accept: 'text/html,application/xhtml+xml' } })
    expect(html.headers['content-type']).toContain('text/html')
    expect(html.body).toContain('href="/errors/auth-api-invalid-credentials"')
  })

  it('is where the type of every problem points, through the gateway and from an upstream', async () => {
    // The conformance run above rotated and revoked the first key.
    const tenant = await createTenant(app, owner, 'Types')
    const { key } = await createKey(app, owner, tenant, { name: 'types' })
    for (const url of ['/api/tasks', '/api/tasks/not-a-uuid']) {
      const problem = (
        await app.inject({ url, headers: url === '/api/tasks' ? {} : { 'x-api-key': key } })
      ).json()
      const slug = new URL(problem.type).pathname.replace(/^\/errors\//, '')
      const page = await app.inject(`/errors/${slug}`)
      expect(page.statusCode, problem.code).toBe(200)
      expect(page.json().code).toBe(problem.code)
    }
    const upstreamProblem = (
      await app.inject({ url: `/api/tasks/${crypto.randomUUID()}`, headers: { 'x-api-key': key } })
    ).json()
    expect(upstreamProblem.code).toBe('BOM_TRIGGERS_TASK_NOT_FOUND')
    const page = await app.inject({
      url: '/errors/BOM_TRIGGERS_TASK_NOT_FOUND',
      headers: { accept: 'text/html' },
    })
    expect(page.body).toContain('<code>BOM_TRIGGERS_TASK_NOT_FOUND</code>')
    expect((await app.inject('/errors/NO_SUCH_CODE')).json().code).toBe('TENANT_GATEWAY_NOT_FOUND')
  })
})

describe('GET /metrics', () => {
  it('is the gateway’s own, and an upstream’s is never reachable through it', async () => {
    const own = await app.inject('/metrics')
    expect(own.statusCode).toBe(200)
    expect(own.body).toContain('service="tenant-gateway"')
    expect(own.body).not.toContain('service="bom-triggers"')
    for (const url of [
      '/api/auth/metrics',
      '/api/tasks/metrics',
      '/api/bom-triggers/metrics',
      '/api/auth/../metrics',
    ]) {
      const response = await app.inject({ url, headers: { 'x-api-key': key } })
      expect(response.body, url).not.toContain('http_requests_total')
    }
    const direct = await fetch(`http://127.0.0.1:${(bom.server.address() as AddressInfo).port}/metrics`)
    expect(await direct.text()).toContain('service="bom-triggers"')
  })

  it('counts key verifications by result, context tokens minted and upstream failures by upstream and kind', async () => {
    const tenant = await createTenant(app, owner, 'Counted')
    const { key } = await createKey(app, owner, tenant, { name: 'counted' })
    expect((await app.inject({ url: '/api/tasks', headers: { 'x-api-key': key } })).statusCode).toBe(200)
    await app.inject({ url: '/api/tasks', headers: { 'x-api-key': 'gh_not_a_real_key' } })
    expect((await app.inject({ method: 'POST', url: '/api/qr/sessions' })).statusCode).toBe(503)
    const text = (await app.inject('/metrics')).body
    expect(text).toMatch(/gateway_key_verifications_total\{result="VALID",service="tenant-gateway"\} [1-9]/)
    expect(text).toMatch(
      /gateway_key_verifications_total\{result="MALFORMED",service="tenant-gateway"\} [1-9]/,
    )
    expect(text).toMatch(
      /gateway_context_tokens_minted_total\{upstream="bom-triggers",service="tenant-gateway"\} [1-9]/,
    )
    expect(text).toMatch(
      /gateway_upstream_errors_total\{upstream="qr-auth",kind="unavailable",service="tenant-gateway"\} [1-9]/,
    )
    expect(text).toContain(
      'gatehouse_problems_total{code="TENANT_GATEWAY_UPSTREAM_UNAVAILABLE",route="/api/qr/*"',
    )
  })
})
