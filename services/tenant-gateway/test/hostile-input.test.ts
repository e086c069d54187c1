import type { AddressInfo } from 'node:net'
import { createServer, type Server, type Socket } from 'node:net'
import { Readable, Writable } from 'node:stream'
import type { TestDb } from '@gatehouse/db-kit/testing'
import { createService, type ServiceInstance } from '@gatehouse/service-kit'
import Type from 'typebox'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKey, createTenant, userOf } from './factories.ts'
import {
  type AuthStub,
  type EchoUpstream,
  gateway,
  openTestDb,
  startAuthStub,
  startEchoUpstream,
} from './fixtures.ts'

let db: TestDb
let auth: AuthStub
let authApi: EchoUpstream
let metering: EchoUpstream
let bom: ServiceInstance
let bomUrl: string
let app: ServiceInstance
let base: string
const logLines: string[] = []

beforeAll(async () => {
  db = await openTestDb()
  auth = await startAuthStub()
  authApi = await startEchoUpstream('auth-api')
  metering = await startEchoUpstream('metering')
  // bom-triggers built on service-kit like the real one, to show its answers pass the gateway unchanged.
  bom = createService({ name: 'bom-triggers', logger: false, bodyLimit: 1024 * 1024 })
  bom.post(
    '/api/tasks',
    { schema: { body: Type.Object({ name: Type.String(), extra: Type.Unknown() }) } },
    async () => ({
      ok: true,
    }),
  )
  bomUrl = await bom.listen({ port: 0, host: '127.0.0.1' })
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(chunk.toString())
      done()
    },
  })
  app = await gateway({
    db,
    auth,
    logger: { level: 'info', stream: logStream },
    config: { AUTH_API_URL: authApi.url, METERING_URL: metering.url, BOM_TRIGGERS_URL: bomUrl },
  })
  base = await app.listen({ port: 0, host: '127.0.0.1' })
})

afterAll(async () => {
  await app?.close()
  await Promise.all([auth?.close(), authApi?.close(), metering?.close(), bom?.close()])
  await db?.close()
})

describe('text the database cannot store (defect 1)', () => {
  it('answers a NUL byte in a tenant name, a key name or a member id with 400 and the field path', async () => {
    const owner = await userOf(auth)
    const tenant = await app.inject({
      method: 'POST',
      url: '/api/tenants',
      headers: owner.headers,
      payload: { name: 'Acme\u0000' },
    })
    expect(tenant.statusCode).toBe(400)
    expect(tenant.json()).toMatchObject({
      code: 'TENANT_GATEWAY_VALIDATION_FAILED',
      errors: [{ path: '/body/name' }],
    })

    const tenantId = await createTenant(app, owner)
    const key = await app.inject({
      method: 'POST',
      url: `/api/tenants/${tenantId}/keys`,
      headers: owner.headers,
      payload: { name: 'ci\u0000' },
    })
    expect(key.statusCode).toBe(400)
    expect(key.json().errors).toEqual([{ path: '/body/name', message: expect.stringContaining('NUL') }])

    for (const method of ['PUT', 'DELETE'] as const) {
      const member = await app.inject({
        method,
        url: `/api/tenants/${tenantId}/members/abc%00def`,
        headers: owner.headers,
        ...(method === 'PUT' ? { payload: { role: 'member' } } : {}),
      })
      expect(member.statusCode, method).toBe(400)
      expect(member.json().errors.map((e: { path: string }) => e.path)).toContain('/params/userId')
    }
  })
})

describe('database errors in the log (defect 2)', () => {
  it('logs no key prefix, key hash or SQL when creating a key fails in the database', async () => {
    const owner = await userOf(auth)
    const tenantId = await createTenant(app, owner)
    const before = logLines.length
    // The insert of a key fails in the database, with the new key's hash and prefix among its parameters.
    await db.raw.exec(
      `create function refuse_keys() returns trigger language plpgsql as $$ begin raise exception 'no keys today'; end $$;
       create trigger refuse_keys before insert on api_keys for each row execute function refuse_keys();`,
    )
    try {
      const response = await app.inject({
        method: 'POST',
        url: `/api/tenants/${tenantId}/keys`,
        headers: owner.headers,
        payload: { name: 'doomed' },
      })
      expect(response.statusCode).toBe(500)
      const log = logLines.slice(before).join('')
      expect(log).toContain('unhandled error')
      for (const leaked of ['gh_', 'insert into', 'api_key_hash', 'doomed', 'no keys today']) {
        expect(log, leaked).not.toContain(leaked)
      }
    } finally {
      await db.raw.exec('drop trigger refuse_keys on api_keys; drop function refuse_keys();')
    }
  })
})

describe('request bodies (defect 3)', () => {
  const big = 'x'.repeat(2 * 1024 * 1024)

  it('refuses a body over the upstream limit by Content-Length at once, with 413, before forwarding it', async () => {
    const response = await request(`${base}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"name":"${big}"}`,
    })
    expect(response.statusCode).toBe(413)
    expect(response.headers['content-type']).toContain('application/problem+json')
    expect(await response.body.json()).toMatchObject({ code: 'TENANT_GATEWAY_BODY_TOO_LARGE', status: 413 })
  })

  it('counts a chunked body and refuses it with 413 once it passes the limit', async () => {
    const chunks = Array.from({ length: 64 }, () => Buffer.alloc(32 * 1024, 'y'))
    const response = await request(`${base}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Readable.from(chunks),
    })
    expect(response.statusCode).toBe(413)
    expect(await response.body.json()).toMatchObject({ code: 'TENANT_GATEWAY_BODY_TOO_LARGE' })
  })

  it('takes each upstream’s own limit: a 512 KiB batch still reaches metering', async () => {
    const { key } = await keyed()
    const payload = JSON.stringify({ events: 'z'.repeat(512 * 1024) })
    const response = await app.inject({
      method: 'POST',
      url: '/api/usage/events',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      payload,
    })
    expect(response.statusCode).toBe(200)
    expect(response.json().service).toBe('metering')
  })

  it('answers deeply nested JSON with a clean 400 from the upstream, passed through', async () => {
    const { key } = await keyed()
    const response = await app.inject({
      method: 'POST',
      url: '/api/tasks',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      payload: `{"name":"x","extra":${'['.repeat(20_000)}${']'.repeat(20_000)}}`,
    })
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('BOM_TRIGGERS_VALIDATION_FAILED')
  })

  it('answers a text/plain body with 415 problem+json on the gateway’s own routes (defect 15)', async () => {
    const owner = await userOf(auth)
    const response = await app.inject({
      method: 'POST',
      url: '/api/tenants',
      headers: { ...owner.headers, 'content-type': 'text/plain' },
      payload: '{"name":"Acme"}',
    })
    expect(response.statusCode).toBe(415)
    expect(response.json().code).toBe('TENANT_GATEWAY_UNSUPPORTED_MEDIA_TYPE')
  })
})

async function keyed() {
  const owner = await userOf(auth)
  const tenantId = await createTenant(app, owner)
  return createKey(app, owner, tenantId)
}

describe('a stalled upstream (defect 5)', () => {
  let stalled: Server
  const sockets: Socket[] = []
  let stalledGateway: ServiceInstance

  beforeAll(async () => {
    // Accepts connections and never answers, like an upstream stopped with SIGSTOP.
    stalled = createServer((socket) => void sockets.push(socket))
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve))
    stalledGateway = await gateway({
      db,
      auth,
      config: {
        QR_AUTH_URL: `http://127.0.0.1:${(stalled.address() as AddressInfo).port}`,
        UPSTREAM_TIMEOUT_MS: '1000',
        UPSTREAM_CONNECTIONS: '1',
        UPSTREAM_MAX_QUEUE: '3',
      },
    })
  })
  afterAll(async () => {
    await stalledGateway?.close()
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => stalled?.close(resolve))
  })

  it('bounds queueing by UPSTREAM_TIMEOUT_MS too, and answers 503 at once when the queue is full', async () => {
    const timed = async () => {
      const started = performance.now()
      const response = await stalledGateway.inject({ method: 'GET', url: '/api/qr/sessions/x' })
      return { status: response.statusCode, code: response.json().code, ms: performance.now() - started }
    }
    // One request holds the only connection, three wait for it: without a deadline of their own, each would
    // wait for the one before it to time out (1 s, 2 s, 3 s, 4 s).
    const waiting = [timed(), timed(), timed(), timed()]
    await new Promise((resolve) => setImmediate(resolve))
    const refused = await timed()
    expect(refused).toMatchObject({ status: 503, code: 'TENANT_GATEWAY_UPSTREAM_BUSY' })
    expect(refused.ms).toBeLessThan(500)
    const answers = await Promise.all(waiting)
    for (const answer of answers) {
      expect(answer).toMatchObject({ status: 504, code: 'TENANT_GATEWAY_UPSTREAM_TIMEOUT' })
      expect(answer.ms).toBeLessThan(1_900)
    }
  })
})

describe('the upstream’s own limits (defect 8)', () => {
  it('passes an upstream 429 with the upstream’s RateLimit headers only', async () => {
    const limited = createService({ name: 'auth-api', logger: false })
    limited.post('/api/auth/login', async (_request, reply) =>
      reply.code(429).header('ratelimit-policy', '"login-ip";q=20;w=60').header('retry-after', '42').send({}),
    )
    const url = await limited.listen({ port: 0, host: '127.0.0.1' })
    const front = await gateway({ db, auth, config: { AUTH_API_URL: url } })
    try {
      const response = await front.inject({ method: 'POST', url: '/api/auth/login', payload: {} })
      expect(response.statusCode).toBe(429)
      expect(response.headers['ratelimit-policy']).toBe('"login-ip";q=20;w=60')
      expect(response.headers['retry-after']).toBe('42')
      for (const gatewayHeader of ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'])
        expect(response.headers[gatewayHeader], gatewayHeader).toBeUndefined()
    } finally {
      await front.close()
      await limited.close()
    }
  })
})
