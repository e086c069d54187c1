import { randomUUID } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { generateSigningKey, type SigningKey } from '@gatehouse/crypto'
import { createDb, type DbHandle } from '@gatehouse/db-kit'
import { createTestDb, type TestDb } from '@gatehouse/db-kit/testing'
import {
  type Clock,
  type LoggerSettings,
  SERVICE_TOKEN_HEADER,
  type ServiceInstance,
  verifyServiceToken,
} from '@gatehouse/service-kit'
import { TEST_SERVICE_ENV } from '@gatehouse/service-kit/testing/app'
import Fastify, { type FastifyInstance } from 'fastify'
import { SignJWT } from 'jose'
import { buildApp as buildMetering } from '../../metering/src/app.ts'
import { loadMeteringConfig } from '../../metering/src/config.ts'
import { buildApp } from '../src/app.ts'
import { type Config, loadTenantGatewayConfig } from '../src/config.ts'
import type { UsageSink } from '../src/usage/usage-sink.ts'

export const migrationsDir = new URL('../migrations', import.meta.url).pathname
export const PEPPER = 'test-pepper-0123456789abcdefghijklmnopqrstuvwxyz'
export const INTERNAL_SECRET = 'test-internal-secret-0123456789abcdefghijklmnop'
/** Set where a Redis server runs (CI); the tests that need one are skipped without it. */
export const REDIS_URL = process.env.REDIS_URL

export function openTestDb(): Promise<TestDb> {
  return createTestDb({ migrationsDir, service: 'tenant-gateway' })
}

/** A second handle on the same database (another replica's pool on PostgreSQL; the same PGlite otherwise). */
export async function secondHandle(db: TestDb): Promise<{ handle: DbHandle; close: () => Promise<void> }> {
  if (!db.url) return { handle: db, close: async () => {} }
  const handle = await createDb({ url: db.url, max: 5 })
  return { handle, close: () => handle.close() }
}

/** Where the tests' clocks start (`createTestClock(TEST_START)`). */
export const TEST_START = new Date('2030-01-01T00:00:00Z')

/**
 * auth-api's stand-in: a JWKS endpoint, a way to mint user access tokens (as auth-api does: EdDSA, `kid`, typ
 * at+jwt, `sid`), and the internal routes the gateway asks (a user exists once a token was minted for them; a
 * session is active until `endSession`), behind a real service-token check.
 */
export interface AuthStub {
  /** Base URL of the stand-in (AUTH_INTERNAL_URL). */
  url: string
  jwksUrl: string
  key: SigningKey
  tokenFor(
    userId: string,
    options?: { now?: Date; issuer?: string; audience?: string; ttlSeconds?: number; sessionId?: string },
  ): Promise<string>
  /** What auth-api answers for this session from now on: revoked. */
  endSession(sessionId: string): void
  /** How often the gateway asked about sessions (to tell a cached answer from a fresh one). */
  sessionLookups(): number
  close(): Promise<void>
}

export async function startAuthStub(): Promise<AuthStub> {
  const key = await generateSigningKey()
  const users = new Set<string>()
  const ended = new Set<string>()
  let lookups = 0
  const server = createServer(async (request, response) => {
    const send = (status: number, body: unknown) => {
      response.statusCode = status
      response.setHeader('content-type', 'application/json')
      response.end(JSON.stringify(body))
    }
    if (request.url === '/.well-known/jwks.json') return send(200, { keys: [key.publicJwk] })
    const internal = /^\/internal\/(users|sessions)\/([^/?]+)$/.exec(request.url ?? '')
    if (!internal) return send(404, {})
    try {
      await verifyServiceToken(INTERNAL_SECRET, request.headers[SERVICE_TOKEN_HEADER] as string, {
        audience: 'auth-api',
        allowedIssuers: ['tenant-gateway'],
      })
    } catch {
      return send(401, {})
    }
    const id = decodeURIComponent(internal[2]!)
    if (internal[1] === 'users') return users.has(id) ? send(200, { id, active: true }) : send(404, {})
    lookups += 1
    return send(200, { active: !ended.has(id) })
  })
  const url = await listen(server)
  return {
    url,
    jwksUrl: `${url}/.well-known/jwks.json`,
    key,
    async tokenFor(userId, options = {}) {
      users.add(userId)
      const now = Math.floor((options.now ?? new Date()).getTime() / 1000)
      return new SignJWT({ sid: options.sessionId ?? randomUUID() })
        .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' })
        .setSubject(userId)
        .setIssuer(options.issuer ?? 'gatehouse-auth-api')
        .setAudience(options.audience ?? 'gatehouse')
        .setIssuedAt(now)
        .setExpirationTime(now + (options.ttlSeconds ?? 900))
        .sign(key.privateKey)
    },
    endSession: (sessionId) => void ended.add(sessionId),
    sessionLookups: () => lookups,
    close: () => closeServer(server),
  }
}

export interface EchoUpstream {
  url: string
  app: FastifyInstance
  /** How many requests reached it so far. */
  received(): number
  close(): Promise<void>
}

/** An upstream that answers with what it received; `/slow` answers after `slowMs`. */
export async function startEchoUpstream(service: string, slowMs = 2_000): Promise<EchoUpstream> {
  const app = Fastify()
  let received = 0
  app.addHook('onRequest', async () => {
    received += 1
  })
  app.get('/api/auth/health', async () => ({ status: 'ok', service }))
  app.all('/*', async (request) => {
    if (request.url.endsWith('/slow')) await new Promise((resolve) => setTimeout(resolve, slowMs))
    return {
      service,
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: request.body ?? null,
    }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, app, received: () => received, close: () => app.close() }
}

export function testConfig(overrides: Record<string, string | undefined> = {}): Config {
  return loadTenantGatewayConfig({
    ...TEST_SERVICE_ENV,
    API_KEY_PEPPER: PEPPER,
    INTERNAL_SECRET,
    LOG_LEVEL: 'silent',
    // Nothing listens here: a test that proxies sets the upstream it needs.
    AUTH_API_URL: 'http://127.0.0.1:1',
    QR_AUTH_URL: 'http://127.0.0.1:1',
    BOM_TRIGGERS_URL: 'http://127.0.0.1:1',
    METERING_URL: 'http://127.0.0.1:1',
    // No metering listens in these tests; usage.test.ts turns the metering sink on against a real one.
    USAGE_SINK: 'discard',
    ...overrides,
  })
}

export async function gateway(options: {
  db: DbHandle
  config?: Record<string, string | undefined>
  auth?: AuthStub
  clock?: Clock
  usageSink?: UsageSink
  logger?: LoggerSettings | false
}): Promise<ServiceInstance> {
  const config = testConfig({
    ...(options.auth ? { AUTH_JWKS_URL: options.auth.jwksUrl, AUTH_INTERNAL_URL: options.auth.url } : {}),
    ...options.config,
  })
  const app = await buildApp({
    config,
    db: options.db,
    logger: options.logger ?? false,
    clock: options.clock,
    usageSink: options.usageSink,
  })
  await app.ready()
  return app
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))
  })
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()))
}

/** A database for a real metering app, migrated with metering's own migrations. */
export function openMeteringDb(): Promise<TestDb> {
  return createTestDb({
    migrationsDir: new URL('../../metering/migrations', import.meta.url).pathname,
    service: 'metering',
  })
}

export interface MeteringServer {
  app: ServiceInstance
  url: string
  port: number
}

/** The real metering app on a loopback port (0: any), for the gateway's usage sink and quota tracker. */
export async function startMetering(
  db: TestDb,
  options: { clock?: Clock; port?: number } = {},
): Promise<MeteringServer> {
  const app = buildMetering({
    config: loadMeteringConfig({ ...TEST_SERVICE_ENV, INTERNAL_SECRET }),
    db,
    logger: false,
    ...(options.clock ? { clock: options.clock } : {}),
  })
  await app.listen({ port: options.port ?? 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  return { app, url: `http://127.0.0.1:${port}`, port }
}
