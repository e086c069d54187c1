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
} from '@gatehouse/service-kit/testing'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.ts'
import { authSessions } from '../src/db/schema/index.ts'
import { exchangeTokenFor } from '../src/desktop-secrets.ts'
import { codeIn, createSession, decide, exchangeableSession, registerUser, scan } from './factories.ts'
import { type AuthApi, CRON_SECRET, openQrDb, phoneHeaders, startAuthApi, testConfig } from './fixtures.ts'

interface Declared {
  problems: readonly { code: string; status: number }[] | undefined
  summary: unknown
  security: unknown
}

let authApi: AuthApi
let db: TestDb
const clock = createTestClock()
let app: ServiceInstance
/** The same qr-auth, but auth-api is down: nothing listens on port 1. */
let down: ServiceInstance
let document: OpenApiDocument
let conformance: Conformance
let documented: ReturnType<typeof documentedCalls>
/** `METHOD /path/{param}` → what the route declares (its `config.problems`, summary and security). */
const declared = new Map<string, Declared>()

const keyOf = (method: string, url: string) =>
  `${method.toUpperCase()} ${url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/(.)\/$/, '$1')}`
const isProbe = (key: string) => /\/(health|ready)$/.test(key)

beforeAll(async () => {
  authApi = await startAuthApi()
  db = await openQrDb()
  app = buildApp({ config: testConfig({ AUTH_API_URL: authApi.url }), db, clock, logger: false })
  // Before ready: the route plugins load then, and every route they declare passes through here.
  app.addHook('onRoute', (route) => {
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
  await app.ready()
  down = buildApp({ config: testConfig({ AUTH_API_URL: 'http://127.0.0.1:1' }), db, clock, logger: false })
  await down.ready()
  document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
  conformance = conformanceOf(document)
  documented = documentedCalls(document, conformance)
})

afterAll(async () => {
  await down?.close()
  await app?.close()
  await db?.close()
  await authApi?.close()
})

const operation = (method: string, path: string) => documented.operation(method, path)
const _documentedCodes = (ref: OperationRef) => documented.documentedCodes(ref)

/** An answer checked against the document: its status and body as documented, its code listed for the route. */
async function call(
  method: string,
  path: string,
  request: DocumentedRequest & { on?: ServiceInstance } = {},
) {
  return documented.call(request.on ?? app, method, path, request)
}

const EXCHANGE = ['POST', '/api/qr/exchange'] as const

describe('qr-auth’s OpenAPI document', () => {
  it('is valid OpenAPI 3.1, documents every route, and every route has a summary, a security and its problems', async () => {
    expect(await documentProblems(document)).toEqual([])
    const documented = operationsOf(document as never).map(({ method, path }) => keyOf(method, path))
    expect(documented.sort()).toEqual([...declared.keys()].sort())
    const routes = [...declared].filter(([key]) => !isProbe(key))
    expect(routes).toHaveLength(11)
    const gaps = routes.flatMap(([key, route]) => [
      ...(route.problems === undefined ? [`${key}: no config.problems`] : []),
      ...(typeof route.summary === 'string' && route.summary ? [] : [`${key}: no summary`]),
      ...(route.security === undefined ? [`${key}: no security`] : []),
    ])
    expect(gaps).toEqual([])
  })

  it('lists each declared problem under its status, and every one is in the error catalogue', () => {
    const catalogue = new Set(
      ((document['x-gatehouse-errors'] ?? []) as CatalogueEntry[]).map((entry) => entry.code),
    )
    const missing: string[] = []
    for (const [key, { problems }] of declared) {
      const [method = '', path = ''] = key.split(' ')
      const responses = operation(method, path).operation.responses ?? {}
      for (const { code, status } of problems ?? []) {
        const prefixed = `QR_AUTH_${code}`
        if (!catalogue.has(prefixed)) missing.push(`${key}: ${prefixed} is not in the catalogue`)
        if (!codesOfResponse(responses[String(status)]).includes(prefixed))
          missing.push(`${key}: ${prefixed} is not documented under ${status}`)
      }
    }
    expect(missing).toEqual([])
  })

  it('documents who calls each route', () => {
    const security = (method: string, path: string) => operation(method, path).operation.security
    expect(security(...EXCHANGE)).toEqual(SECURITY.public)
    expect(security('POST', '/api/qr/sessions')).toEqual(SECURITY.public)
    expect(security('GET', '/api/qr/sessions/{id}')).toEqual(SECURITY.public)
    expect(security('POST', '/api/qr/sessions/{id}/scan')).toEqual(SECURITY.user)
    expect(security('POST', '/api/qr/sessions/{id}/approve')).toEqual(SECURITY.user)
    expect(security('POST', '/api/admin/cleanup-qr-sessions')).toEqual(SECURITY.cron)
    expect(operation(...EXCHANGE).operation.summary).toBe('Exchange a QR login for a session')
  })

  it('answers each exchange refusal as documented, and the route lists exactly the codes it can answer', async () => {
    const user = await registerUser(authApi)
    // Expired first: moving the clock ages every session made before.
    const expired = await exchangeableSession(app, user)
    clock.advance(121_000)
    const spent = await exchangeableSession(app, user)
    const granted = await call(...EXCHANGE, {
      payload: { sessionId: spent.id, exchangeToken: spent.exchangeToken },
    })
    expect({ status: granted.status, problems: granted.problems }).toEqual({ status: 200, problems: [] })
    const pending = await createSession(app)
    const rejected = await createSession(app)
    await scan(app, rejected.id, codeIn(rejected.qr.payload), user.userId)
    await decide(app, 'reject', rejected.id, user.userId)
    // As a row made before the exchange-token migration is.
    const outdated = await createSession(app)
    await db.db.update(authSessions).set({ exchangeToken: null }).where(eq(authSessions.id, outdated.id))
    const gone = await registerUser(authApi)
    const orphaned = await exchangeableSession(app, gone)
    await authApi.db.raw.query('delete from users where id = $1', [gone.userId])
    const retryable = await exchangeableSession(app, user)

    const tokenOf = (session: { pollToken: string }) => exchangeTokenFor(session.pollToken)
    const cases: Array<[string, { payload: unknown; on?: ServiceInstance }, number, string]> = [
      [
        'unknown session',
        { payload: { sessionId: randomUUID(), exchangeToken: 'a'.repeat(64) } },
        401,
        'EXCHANGE_TOKEN_INVALID',
      ],
      [
        'second exchange',
        { payload: { sessionId: spent.id, exchangeToken: spent.exchangeToken } },
        409,
        'EXCHANGE_TOKEN_USED',
      ],
      [
        'after expiry',
        { payload: { sessionId: expired.id, exchangeToken: expired.exchangeToken } },
        401,
        'EXCHANGE_TOKEN_EXPIRED',
      ],
      [
        'pending',
        { payload: { sessionId: pending.id, exchangeToken: tokenOf(pending) } },
        409,
        'SESSION_NOT_APPROVED',
      ],
      [
        'rejected',
        { payload: { sessionId: rejected.id, exchangeToken: tokenOf(rejected) } },
        409,
        'SESSION_REJECTED',
      ],
      [
        'outdated',
        { payload: { sessionId: outdated.id, exchangeToken: tokenOf(outdated) } },
        410,
        'SESSION_OUTDATED',
      ],
      [
        'approver deleted',
        { payload: { sessionId: orphaned.id, exchangeToken: orphaned.exchangeToken } },
        409,
        'APPROVER_NOT_FOUND',
      ],
      [
        'auth-api down',
        { payload: { sessionId: retryable.id, exchangeToken: retryable.exchangeToken }, on: down },
        503,
        'SESSION_ISSUER_UNAVAILABLE',
      ],
    ]
    for (const [name, request, status, code] of cases) {
      const answer = await call(...EXCHANGE, request)
      expect({ status: answer.status, code: answer.code }, name).toEqual({ status, code: `QR_AUTH_${code}` })
      expect(answer.listed, name).toContain(`QR_AUTH_${code}`)
      expect(answer.problems, name).toEqual([])
    }
    const own = declared.get('POST /api/qr/exchange')?.problems?.map((problem) => problem.code)
    expect(own?.sort()).toEqual([...new Set(cases.map(([, , , code]) => code))].sort())
    // The generic refusals of a JSON body route are documented too.
    for (const [name, request, status, code] of [
      ['no token', { payload: { sessionId: randomUUID() } }, 400, 'VALIDATION_FAILED'],
      [
        'not JSON',
        { payload: 'sessionId=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
    ] as const) {
      const answer = await call(...EXCHANGE, request)
      expect({ status: answer.status, code: answer.code }, name).toEqual({ status, code: `QR_AUTH_${code}` })
      expect(answer.listed, name).toContain(`QR_AUTH_${code}`)
      expect(answer.problems, name).toEqual([])
    }
  })

  it('answers the other routes’ refusals as documented', async () => {
    const session = await createSession(app)
    const cases: Array<[string, string, Parameters<typeof call>[2], number, string]> = [
      [
        'GET',
        '/api/qr/sessions/{id}',
        { url: `/api/qr/sessions/${session.id}`, headers: { 'x-qr-poll-token': 'wrong' } },
        401,
        'POLL_TOKEN_INVALID',
      ],
      [
        'POST',
        '/api/qr/sessions/{id}/scan',
        { url: `/api/qr/sessions/${session.id}/scan`, payload: { code: 'x' } },
        401,
        'LOGIN_REQUIRED',
      ],
      [
        'POST',
        '/api/qr/sessions/{id}/scan',
        {
          url: `/api/qr/sessions/${session.id}/scan`,
          headers: await phoneHeaders(randomUUID()),
          payload: { code: 'not the code' },
        },
        403,
        'CODE_INVALID',
      ],
      [
        'POST',
        '/api/qr/sessions/{id}/approve',
        { url: `/api/qr/sessions/${session.id}/approve`, headers: await phoneHeaders(randomUUID()) },
        409,
        'SESSION_NOT_SCANNED',
      ],
      [
        'POST',
        '/api/admin/cleanup-qr-sessions',
        { headers: { authorization: `Bearer not-${CRON_SECRET}` } },
        401,
        'CRON_SECRET_REQUIRED',
      ],
    ]
    for (const [method, path, request, status, code] of cases) {
      const where = `${method} ${path} → ${code}`
      const answer = await call(method, path, request)
      expect({ status: answer.status, code: answer.code }, where).toEqual({ status, code: `QR_AUTH_${code}` })
      expect(answer.listed, where).toContain(`QR_AUTH_${code}`)
      expect(answer.problems, where).toEqual([])
    }
  })
})
