import { PassThrough } from 'node:stream'
import Type from 'typebox'
import { afterEach, describe, expect, it } from 'vitest'
import { createService, type ServiceInstance } from '../src/create-service.ts'
import { defineErrors } from '../src/errors.ts'

const errors = defineErrors({ TOKEN_REUSED: [401, 'Refresh token already used'] })

function buildDemo(options: { stream?: PassThrough; ping?: () => Promise<number> } = {}): ServiceInstance {
  const app = createService({
    name: 'demo',
    logger: options.stream ? { stream: options.stream, level: 'info' } : false,
    database: options.ping ? { ping: options.ping } : undefined,
  })
  app.post(
    '/users',
    {
      schema: {
        body: Type.Object({
          email: Type.String({ format: 'email' }),
          age: Type.Integer({ minimum: 0 }),
          profile: Type.Optional(Type.Object({ name: Type.String({ minLength: 1 }) })),
        }),
      },
    },
    async (request) => ({ received: request.body }),
  )
  app.post('/reused', async () => {
    throw errors.TOKEN_REUSED('This token was rotated before.')
  })
  app.get('/boom', async () => {
    throw Object.assign(new Error('select * from users where password = $1 -- hunter2'), {
      name: 'DrizzleQueryError',
    })
  })
  app.post('/login', async (request) => {
    request.log.info({ body: request.body }, 'login attempt')
    return { ok: true }
  })
  return app
}

let app: ServiceInstance | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

describe('problem+json errors', () => {
  it('answers malformed JSON with 400 problem+json', async () => {
    app = buildDemo()
    const response = await app.inject({
      method: 'POST',
      url: '/users',
      headers: { 'content-type': 'application/json' },
      payload: '{"email":',
    })
    expect(response.statusCode).toBe(400)
    expect(response.headers['content-type']).toContain('application/problem+json')
    expect(response.json()).toMatchObject({
      status: 400,
      code: 'DEMO_MALFORMED_JSON',
      type: 'https://gatehouse.dev/errors/demo-malformed-json',
    })
  })

  it('lists every schema violation with its field path', async () => {
    app = buildDemo()
    const response = await app.inject({
      method: 'POST',
      url: '/users',
      payload: { email: 'not-an-email', age: -1, profile: { name: '' } },
    })
    expect(response.statusCode).toBe(400)
    const body = response.json()
    expect(body.code).toBe('DEMO_VALIDATION_FAILED')
    expect(body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      '/body/age',
      '/body/email',
      '/body/profile/name',
    ])
  })

  it('names a missing required field by path', async () => {
    app = buildDemo()
    const response = await app.inject({ method: 'POST', url: '/users', payload: { email: 'a@b.co' } })
    expect(response.statusCode).toBe(400)
    expect(response.json().errors).toEqual([{ path: '/body/age', message: expect.any(String) }])
  })

  it('drops unknown fields before the handler sees them', async () => {
    app = buildDemo()
    const response = await app.inject({
      method: 'POST',
      url: '/users',
      payload: { email: 'a@b.co', age: 3, isAdmin: true },
    })
    expect(response.statusCode).toBe(200)
    expect(response.json().received).toEqual({ email: 'a@b.co', age: 3 })
  })

  it('answers an unknown route with 404 in the same shape', async () => {
    app = buildDemo()
    const response = await app.inject({ method: 'GET', url: '/nope?token=secret' })
    expect(response.statusCode).toBe(404)
    expect(response.json()).toMatchObject({
      status: 404,
      code: 'DEMO_NOT_FOUND',
      detail: 'No route for GET /nope',
    })
  })

  it('renders a domain error with its stable code', async () => {
    app = buildDemo()
    const response = await app.inject({ method: 'POST', url: '/reused' })
    expect(response.statusCode).toBe(401)
    expect(response.json()).toMatchObject({
      code: 'DEMO_TOKEN_REUSED',
      title: 'Refresh token already used',
      detail: 'This token was rotated before.',
    })
  })

  it('hides unexpected errors behind a generic 500', async () => {
    app = buildDemo()
    const response = await app.inject({ method: 'GET', url: '/boom' })
    expect(response.statusCode).toBe(500)
    expect(response.body).not.toContain('hunter2')
    expect(response.body).not.toContain('select')
    expect(response.json()).toMatchObject({ code: 'DEMO_INTERNAL', detail: 'An unexpected error occurred.' })
  })

  it('rejects oversize bodies with 413', async () => {
    app = buildDemo()
    const response = await app.inject({
      method: 'POST',
      url: '/users',
      payload: { email: `${'a'.repeat(70_000)}@b.co`, age: 1 },
    })
    expect(response.statusCode).toBe(413)
    expect(response.json().code).toBe('DEMO_BODY_TOO_LARGE')
  })
})

describe('request ids', () => {
  it('echoes a caller-supplied x-request-id and in problem bodies', async () => {
    app = buildDemo()
    const response = await app.inject({
      method: 'GET',
      url: '/missing',
      headers: { 'x-request-id': 'req-123' },
    })
    expect(response.headers['x-request-id']).toBe('req-123')
    expect(response.json().requestId).toBe('req-123')
  })

  it('generates one when absent or unsafe', async () => {
    app = buildDemo()
    const response = await app.inject({
      method: 'GET',
      url: '/health',
      headers: { 'x-request-id': 'bad id\nwith newline' },
    })
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
  })
})

describe('health', () => {
  it('serves liveness without touching the database', async () => {
    app = buildDemo({ ping: () => Promise.reject(new Error('down')) })
    const response = await app.inject({ method: 'GET', url: '/health' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toMatchObject({ status: 'ok', service: 'demo' })
  })

  it('reports readiness with database latency', async () => {
    app = buildDemo({ ping: async () => 3 })
    const response = await app.inject({ method: 'GET', url: '/ready' })
    expect(response.json()).toEqual({
      status: 'ready',
      service: 'demo',
      database: { status: 'connected', latencyMs: 3 },
    })
  })

  it('answers 503 problem+json when the database is unreachable', async () => {
    app = buildDemo({ ping: () => Promise.reject(new Error('ECONNREFUSED')) })
    const response = await app.inject({ method: 'GET', url: '/ready' })
    expect(response.statusCode).toBe(503)
    expect(response.json()).toMatchObject({ code: 'DEMO_NOT_READY', database: { status: 'disconnected' } })
  })
})

describe('logging', () => {
  it('never writes secrets from a logged request', async () => {
    const stream = new PassThrough()
    const lines: string[] = []
    stream.on('data', (chunk) => lines.push(chunk.toString()))
    app = buildDemo({ stream })
    await app.inject({
      method: 'POST',
      url: '/login?token=query-secret-1',
      headers: {
        authorization: 'Bearer header-secret-2',
        cookie: 'refresh_token=cookie-secret-3',
        'x-api-key': 'gh_apikey-secret-4',
      },
      payload: { email: 'a@b.co', password: 'password-secret-5', refreshToken: 'body-secret-6' },
    })
    const output = lines.join('')
    expect(output).toContain('login attempt')
    expect(output).toContain('a@b.co')
    for (const secret of [
      'query-secret-1',
      'header-secret-2',
      'cookie-secret-3',
      'apikey-secret-4',
      'password-secret-5',
      'body-secret-6',
    ]) {
      expect(output).not.toContain(secret)
    }
    expect(output).toContain('"reqId"')
  })
})
