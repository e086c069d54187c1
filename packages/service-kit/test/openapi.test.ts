import type { RouteOptions } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { requireTenantCaller } from '../src/caller-context.ts'
import type { ServiceInstance } from '../src/create-service.ts'
import { createService } from '../src/create-service.ts'
import { codesOfResponse, operationsOf, SECURITY } from '../src/openapi.ts'
import { conformanceOf, documentProblems, requestsOf } from '../src/testing/openapi-conformance.ts'
import { widgetsService } from './fixtures/widgets-service.ts'

let app: ServiceInstance | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

/** Every route Fastify knows, as `METHOD /path/{param}`, without HEAD twins, wildcards and hidden routes. */
function routeCollector() {
  const routes = new Set<string>()
  const onRoute = (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    for (const method of methods) {
      if (method === 'HEAD' || route.url.includes('*') || (route.schema as { hide?: boolean })?.hide) continue
      routes.add(`${method} ${route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/(.)\/$/, '$1')}`)
    }
  }
  return { routes, onRoute }
}

describe('the OpenAPI document every service serves', () => {
  it('is valid OpenAPI 3.1 and lists every registered route, with tags, summaries and operation ids', async () => {
    const { routes, onRoute } = routeCollector()
    app = widgetsService({ onRoute })
    const document = (await app.inject('/openapi.json')).json()
    expect(document.openapi).toBe('3.1.0')
    expect(await documentProblems(document)).toEqual([])
    const documented = operationsOf(document).map(({ method, path }) => `${method.toUpperCase()} ${path}`)
    expect(documented.sort()).toEqual([...routes].sort())
    expect(documented).not.toContain('GET /openapi.json')
    expect(documented).not.toContain('GET /metrics')
    const create = document.paths['/api/tasks/widgets'].post
    expect(create).toMatchObject({
      tags: ['bom-triggers'],
      summary: 'Create widget',
      operationId: 'postApiTasksWidgets',
    })
    expect(document.paths['/api/tasks/widgets/mine'].get.summary).toBe('My widgets')
  })

  it('declares the four security schemes and picks each route’s default', async () => {
    app = widgetsService()
    const document = (await app.inject('/openapi.json')).json()
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual([
      'apiKey',
      'cronSecret',
      'serviceToken',
      'userBearer',
    ])
    const security = (path: string, method: string) => document.paths[path][method].security
    expect(security('/api/tasks/widgets', 'post')).toEqual([{ apiKey: [] }, { userBearer: [] }])
    expect(security('/api/tasks/widgets/mine', 'get')).toEqual([{ userBearer: [] }])
    expect(security('/internal/widgets/sync', 'post')).toEqual([{ serviceToken: [] }])
    expect(security('/api/admin/widgets', 'get')).toEqual([{ cronSecret: [] }])
    expect(security('/health', 'get')).toBeUndefined()
  })

  it('documents the problem answers of each route with their codes, and the catalogue', async () => {
    app = widgetsService()
    const document = (await app.inject('/openapi.json')).json()
    const codes = (path: string, method: string, status: string) =>
      document.paths[path][method].responses[status].content['application/problem+json'].schema.allOf[1]
        .properties.code.enum
    // Declared: only its own code beside the generic ones the route can trigger.
    expect(codes('/api/tasks/widgets', 'post', '409')).toEqual([
      'BOM_TRIGGERS_CONFLICT',
      'BOM_TRIGGERS_WIDGET_TAKEN',
    ])
    expect(codes('/api/tasks/widgets', 'post', '400')).toEqual([
      'BOM_TRIGGERS_BAD_REQUEST',
      'BOM_TRIGGERS_MALFORMED_JSON',
      'BOM_TRIGGERS_VALIDATION_FAILED',
    ])
    expect(document.paths['/api/tasks/widgets'].post.responses['404']).toBeUndefined()
    // Undeclared: every code of the service, by status.
    expect(codes('/api/tasks/widgets/{id}', 'get', '404')).toEqual(['BOM_TRIGGERS_WIDGET_NOT_FOUND'])
    expect(codes('/api/tasks/widgets/{id}', 'get', '503')).toEqual([
      'BOM_TRIGGERS_OVERLOADED',
      'BOM_TRIGGERS_UNAVAILABLE',
    ])
    const taken = document['x-gatehouse-errors'].find(
      (entry: { code: string }) => entry.code === 'BOM_TRIGGERS_WIDGET_TAKEN',
    )
    expect(taken).toEqual({
      code: 'BOM_TRIGGERS_WIDGET_TAKEN',
      status: 409,
      title: 'Widget name taken',
      hint: 'Pick another name.',
      service: 'bom-triggers',
      type: 'https://gatehouse.dev/errors/bom-triggers-widget-taken',
    })
  })

  it('answers every documented operation as documented, for requests generated from the schemas', async () => {
    app = widgetsService()
    const document = (await app.inject('/openapi.json')).json()
    const conformance = conformanceOf(document)
    const problems: string[] = []
    const answeredCodes = new Set<string>()
    for (const request of requestsOf(conformance)) {
      for (const attempt of [1, 2]) {
        const response = await app.inject({
          method: request.method as 'GET',
          url: request.url,
          headers: request.headers,
          ...(request.body === undefined ? {} : { payload: JSON.stringify(request.body) }),
        })
        const body = response.body ? response.json() : undefined
        if (body?.code) answeredCodes.add(body.code)
        problems.push(
          ...conformance.check(request.ref, {
            status: response.statusCode,
            contentType: response.headers['content-type'] as string,
            body,
          }),
        )
        if (attempt === 2) expect(response.statusCode).toBeGreaterThan(0)
      }
    }
    expect(problems).toEqual([])
    // The second POST of the same generated name is the declared 409.
    expect(answeredCodes).toContain('BOM_TRIGGERS_WIDGET_TAKEN')
    expect(answeredCodes).toContain('BOM_TRIGGERS_WIDGET_NOT_FOUND')
  })

  it('documents the caller-context refusals on routes that act for the gateway’s signed caller', async () => {
    const secret = 's'.repeat(40)
    /** bom-triggers (tenant access): a tenant route, a user-context route, a public one and an internal one. */
    const callerService = (internalSecret?: string) => {
      const service = createService({
        name: 'bom-triggers',
        logger: false,
        ...(internalSecret ? { internalSecret } : {}),
      })
      service.get('/api/tasks/mine', async (request) => requireTenantCaller(request))
      service.get(
        '/api/tasks/phone',
        { config: { caller: 'user' }, schema: { security: SECURITY.user } },
        async (request) => ({ userId: request.caller?.userId ?? null }),
      )
      service.get('/api/tasks/open', { schema: { security: SECURITY.public } }, async () => ({}))
      service.get('/api/tasks/me', { schema: { security: SECURITY.user } }, async () => ({}))
      service.post('/internal/tasks/sync', async () => ({}))
      return service
    }
    const unauthorized = async (service: ServiceInstance) => {
      const document = (await service.inject('/openapi.json')).json()
      return Object.fromEntries(
        operationsOf(document).map(({ method, path, operation }) => [
          `${method.toUpperCase()} ${path}`,
          codesOfResponse(operation.responses?.['401']),
        ]),
      )
    }

    app = callerService(secret)
    expect(await unauthorized(app)).toMatchObject({
      'GET /api/tasks/mine': ['BOM_TRIGGERS_CALLER_REQUIRED', 'BOM_TRIGGERS_INTERNAL_CONTEXT_INVALID'],
      'GET /api/tasks/phone': ['BOM_TRIGGERS_INTERNAL_CONTEXT_INVALID'],
      'GET /api/tasks/open': [],
      'GET /api/tasks/me': [],
      'POST /internal/tasks/sync': ['BOM_TRIGGERS_INTERNAL_AUTH_REQUIRED'],
      'GET /health': [],
      'GET /api/bom-triggers/ready': [],
    })
    const anonymous = await app.inject('/api/tasks/mine')
    expect([anonymous.statusCode, anonymous.json().code]).toEqual([401, 'BOM_TRIGGERS_CALLER_REQUIRED'])
    for (const url of ['/api/tasks/mine', '/api/tasks/phone']) {
      const forged = await app.inject({ url, headers: { 'x-gatehouse-context': 'forged' } })
      expect([forged.statusCode, forged.json().code]).toEqual([401, 'BOM_TRIGGERS_INTERNAL_CONTEXT_INVALID'])
    }
    await app.close()

    // Without INTERNAL_SECRET no context is verified, so none is refused: a tenant route still needs one.
    app = callerService()
    expect(await unauthorized(app)).toMatchObject({
      'GET /api/tasks/mine': ['BOM_TRIGGERS_CALLER_REQUIRED'],
      'GET /api/tasks/phone': [],
    })
  })

  it('points problem types at the configured catalogue', async () => {
    app = widgetsService({ platform: { errorsBaseUrl: 'https://api.example.com/errors/' } })
    const response = await app.inject(`/api/tasks/widgets/${crypto.randomUUID()}`)
    expect(response.json().type).toBe('https://api.example.com/errors/bom-triggers-widget-not-found')
    const document = (await app.inject('/openapi.json')).json()
    expect(document['x-gatehouse-errors'][0].type).toMatch(/^https:\/\/api\.example\.com\/errors\//)
  })

  it('serves the gateway’s own document beside its combined /openapi.json, and can be turned off', async () => {
    app = createService({ name: 'tenant-gateway', logger: false })
    expect((await app.inject('/openapi/tenant-gateway.json')).statusCode).toBe(200)
    expect((await app.inject('/openapi.json')).statusCode).toBe(404)
    await app.close()
    app = createService({ name: 'qr-auth', logger: false, openapi: false })
    expect((await app.inject('/openapi.json')).statusCode).toBe(404)
  })
})
