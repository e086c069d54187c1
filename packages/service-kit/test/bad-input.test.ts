import { connect } from 'node:net'
import { PassThrough } from 'node:stream'
import { createTestDb, type TestDb } from '@gatehouse/db-kit/testing'
import { sql } from 'drizzle-orm'
import Type from 'typebox'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createService, type ServiceInstance } from '../src/create-service.ts'
import { defineErrors } from '../src/errors.ts'

const errors = defineErrors({ NO_TOKEN: [401, 'Token required'] })

function buildDemo(options: { stream?: PassThrough; hsts?: boolean } = {}): ServiceInstance {
  const app = createService({
    name: 'demo',
    logger: options.stream ? { stream: options.stream, level: 'info' } : false,
    ...(options.hsts ? { hsts: true } : {}),
  })
  app.post(
    '/tenants/:id/members/:userId',
    {
      schema: {
        body: Type.Object({
          name: Type.String(),
          tags: Type.Optional(Type.Array(Type.String())),
          extra: Type.Optional(Type.Unknown()),
        }),
      },
    },
    async (request) => ({ received: request.body }),
  )
  app.get('/private', async () => {
    throw errors.NO_TOKEN()
  })
  return app
}

let app: ServiceInstance | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

describe('text PostgreSQL cannot store (defect 1)', () => {
  it('answers a NUL byte anywhere in body, path or query with 400 and the field paths', async () => {
    app = buildDemo()
    const response = await app.inject({
      method: 'POST',
      url: '/tenants/t1/members/not-a-user%00x?note=a%00b',
      payload: { name: 'Ann\u0000', tags: ['ok', 'b\u0000d'], extra: { 'k\u0000ey': 1 } },
    })
    expect(response.statusCode).toBe(400)
    expect(response.headers['content-type']).toContain('application/problem+json')
    const body = response.json()
    expect(body.code).toBe('DEMO_VALIDATION_FAILED')
    expect(body.errors.map((error: { path: string }) => error.path).sort()).toEqual(
      ['/body/extra/k\u0000ey', '/body/name', '/body/tags/1', '/params/userId', '/querystring/note'].sort(),
    )
  })

  it('answers JSON nested too deeply with 400 instead of overflowing a recursive step', async () => {
    app = buildDemo()
    const deep = `${'['.repeat(5_000)}1${']'.repeat(5_000)}`
    const response = await app.inject({
      method: 'POST',
      url: '/tenants/t1/members/u1',
      headers: { 'content-type': 'application/json' },
      payload: `{"name":"x","extra":${deep}}`,
    })
    expect(response.statusCode).toBe(400)
    expect(response.json().errors[0].message).toMatch(/nested deeper than 64/)
  })

  it('lets clean input through untouched', async () => {
    app = buildDemo()
    const response = await app.inject({
      method: 'POST',
      url: '/tenants/t1/members/u1?note=fine',
      payload: { name: 'Ann', tags: ['a'], extra: { nested: [{ ok: true }] } },
    })
    expect(response.statusCode).toBe(200)
    expect(response.json().received).toEqual({ name: 'Ann', tags: ['a'], extra: { nested: [{ ok: true }] } })
  })
})

describe('framework errors (defect 4)', () => {
  it('answers a bad percent-encoding with problem+json and a request id, never echoing the query', async () => {
    app = buildDemo()
    const response = await app.inject({ method: 'GET', url: '/api/auth/me%zz?token=abc-secret' })
    expect(response.statusCode).toBe(400)
    expect(response.headers['content-type']).toContain('application/problem+json')
    expect(response.headers['x-request-id']).toEqual(expect.any(String))
    expect(response.json()).toMatchObject({
      code: 'DEMO_BAD_URL',
      requestId: response.headers['x-request-id'],
    })
    expect(response.body).not.toContain('abc-secret')
    expect(response.body).not.toContain('%zz')
  })

  it('answers an over-long path parameter with 414 problem+json and a request id', async () => {
    app = buildDemo()
    const response = await app.inject({
      method: 'POST',
      url: `/tenants/t1/members/${'u'.repeat(500)}?token=abc-secret`,
      payload: { name: 'x' },
    })
    expect(response.statusCode).toBe(414)
    expect(response.headers['x-request-id']).toEqual(expect.any(String))
    expect(response.json()).toMatchObject({ code: 'DEMO_URI_TOO_LONG', status: 414 })
    expect(response.body).not.toContain('abc-secret')
  })

  it('answers what the HTTP parser refuses with problem+json and a request id', async () => {
    app = buildDemo()
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as { port: number }
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () =>
        socket.write('GET /x?token=abc-secret HTTP/1.1\r\nBad Header\r\n\r\n'),
      )
      let received = ''
      socket.on('data', (chunk) => {
        received += chunk.toString()
      })
      socket.on('close', () => resolve(received))
      socket.on('error', reject)
    })
    expect(raw).toMatch(/^HTTP\/1\.1 400 /)
    expect(raw.toLowerCase()).toContain('content-type: application/problem+json')
    expect(raw.toLowerCase()).toMatch(/x-request-id: [0-9a-f-]{36}/)
    expect(raw).toContain('"code":"DEMO_BAD_REQUEST"')
    expect(raw).not.toContain('abc-secret')
  })
})

describe('content types (defect 15)', () => {
  it('answers a text/plain body with 415 problem+json, not a validation error', async () => {
    app = buildDemo()
    const response = await app.inject({
      method: 'POST',
      url: '/tenants/t1/members/u1',
      headers: { 'content-type': 'text/plain' },
      payload: '{"name":"x"}',
    })
    expect(response.statusCode).toBe(415)
    expect(response.headers['content-type']).toContain('application/problem+json')
    expect(response.json().code).toBe('DEMO_UNSUPPORTED_MEDIA_TYPE')
  })
})

describe('security headers (defect 9)', () => {
  it("sends helmet's API headers on every answer, errors included; HSTS only when configured or over TLS", async () => {
    app = buildDemo()
    for (const url of ['/health', '/nope', '/private']) {
      const response = await app.inject({ method: 'GET', url })
      expect(response.headers['x-content-type-options'], url).toBe('nosniff')
      expect(response.headers['referrer-policy'], url).toBe('no-referrer')
      expect(response.headers['content-security-policy'], url).toBe(
        "default-src 'none';frame-ancestors 'none'",
      )
      expect(response.headers['x-frame-options'], url).toBe('DENY')
      expect(response.headers['strict-transport-security'], url).toBeUndefined()
    }
    await app.close()
    app = buildDemo({ hsts: true })
    const secure = await app.inject({ method: 'GET', url: '/health' })
    expect(secure.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains')
  })

  it('names the Bearer scheme in WWW-Authenticate on every 401', async () => {
    app = buildDemo()
    const response = await app.inject({ method: 'GET', url: '/private' })
    expect(response.statusCode).toBe(401)
    expect(response.headers['www-authenticate']).toBe('Bearer realm="gatehouse"')
  })
})

describe('readiness behind the gateway (defect 11)', () => {
  it('answers status only under the public prefix, with the database details on the service port only', async () => {
    app = createService({ name: 'metering', logger: false, database: { ping: async () => 3 } })
    const own = await app.inject({ method: 'GET', url: '/ready' })
    expect(own.json()).toEqual({
      status: 'ready',
      service: 'metering',
      database: { status: 'connected', latencyMs: 3 },
    })
    const published = await app.inject({ method: 'GET', url: '/api/usage/ready' })
    expect(published.statusCode).toBe(200)
    expect(published.json()).toEqual({ status: 'ready', service: 'metering' })
    await app.close()
    app = createService({
      name: 'metering',
      logger: false,
      database: { ping: () => Promise.reject(new Error('down')) },
    })
    const down = await app.inject({ method: 'GET', url: '/api/usage/ready' })
    expect(down.statusCode).toBe(503)
    expect(down.json()).not.toHaveProperty('database')
  })
})

describe('error logs of database failures (defect 2)', () => {
  let db: TestDb
  beforeAll(async () => {
    db = await createTestDb()
    await db.raw.exec(
      'create table accounts (email text primary key, password_hash text not null check (length(password_hash) > 20))',
    )
  })
  afterAll(async () => db?.close())

  it('never logs the SQL text or its parameters, whether the answer is a 500, a 409 or a 400', async () => {
    const stream = new PassThrough()
    const lines: string[] = []
    stream.on('data', (chunk) => lines.push(chunk.toString()))
    app = createService({ name: 'demo', logger: { stream, level: 'info' } })
    const email = 'secret-person@example.com'
    const hash = '$argon2id$v=19$m=19456,t=2,p=1$c2VjcmV0LXNhbHQ$c2VjcmV0LWhhc2gtdmFsdWU'
    app.post('/missing-table', async () => {
      await db.db.execute(sql`insert into no_such_table (email, password_hash) values (${email}, ${hash})`)
    })
    app.post('/duplicate', async () => {
      await db.db.execute(sql`insert into accounts (email, password_hash) values (${email}, ${hash})`)
      await db.db.execute(sql`insert into accounts (email, password_hash) values (${email}, ${hash})`)
    })
    app.post('/check', async () => {
      await db.db.execute(
        sql`insert into accounts (email, password_hash) values (${`other-${email}`}, ${'short'})`,
      )
    })
    const statuses = []
    for (const url of ['/missing-table', '/duplicate', '/check']) {
      const response = await app.inject({ method: 'POST', url })
      statuses.push(response.statusCode)
      expect(response.body).not.toContain(email)
    }
    expect(statuses).toEqual([500, 409, 400])
    const log = lines.join('')
    expect(log).toContain('unhandled error')
    expect(log).toContain('42P01')
    expect(log).toContain('23505')
    for (const leaked of [email, hash, 'c2VjcmV0', 'insert into', 'no_such_table (email', 'Key (email)']) {
      expect(log, leaked).not.toContain(leaked)
    }
  })
})
