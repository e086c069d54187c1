import { upstreamServices } from '@gatehouse/service-kit'
import {
  answerProblems,
  conformanceOf,
  documentProblems,
  type OpenApiDocument,
  requestsOf,
} from '@gatehouse/service-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, type Platform, startPlatform, userWithTenantKey } from './platform.ts'

let platform: Platform
let document: OpenApiDocument

beforeAll(async () => {
  platform = await startPlatform()
  document = (await call(platform.gateway, 'GET', '/openapi.json')).body
}, 120_000)

afterAll(async () => {
  expect(await platform?.stop()).toBe(0)
})

const catalogueCodes = () =>
  new Set(((document['x-gatehouse-errors'] ?? []) as { code: string }[]).map((e) => e.code))

describe('the API documents of the running platform (pnpm start)', () => {
  it('combines every service’s public API at the gateway, valid OpenAPI 3.1, with every service’s errors', async () => {
    expect(await documentProblems(document)).toEqual([])
    expect(document['x-gatehouse-unavailable']).toBeUndefined()
    const paths = Object.keys(document.paths ?? {})
    for (const { publicPrefixes, name } of upstreamServices()) {
      expect(
        paths.some((path) => path.startsWith(`${publicPrefixes[0]}/`)),
        name,
      ).toBe(true)
    }
    expect(paths.filter((path) => /\/(internal|admin)(\/|$)/.test(path))).toEqual([])
    const prefixes = new Set(
      [...catalogueCodes()].map((code) => code.replace(/_[A-Z0-9]+(_[A-Z0-9]+)*$/, '')),
    )
    for (const stem of ['AUTH_API', 'QR_AUTH', 'TENANT_GATEWAY', 'BOM_TRIGGERS', 'METERING']) {
      expect(
        [...catalogueCodes()].some((code) => code.startsWith(`${stem}_`)),
        stem,
      ).toBe(true)
    }
    expect(prefixes.size).toBeGreaterThan(0)
    const docs = await fetch(`${platform.gateway}/docs/`)
    expect(docs.status).toBe(200)
    expect(await docs.text()).not.toMatch(/(src|href)="(https?:)?\/\//)
  })

  it('answers every documented operation, called through the gateway, as its document says', async () => {
    const user = await userWithTenantKey(platform.gateway)
    const conformance = conformanceOf(document)
    const codes = catalogueCodes()
    const problems: string[] = []
    const statuses = new Set<number>()
    // Calls that end the session or the key go last, so the others run with working credentials.
    const destructive = (url: string) =>
      /logout|revoke|suspend|rotate|members\/|password|sessions\/|email/.test(url)
    for (const withCredentials of [false, true]) {
      const requests = requestsOf(conformance, {
        params: { id: user.tenantId, userId: user.userId },
        headersFor: (security): Record<string, string> => {
          if (!withCredentials) return {}
          const schemes = (security ?? []).flatMap((requirement) => Object.keys(requirement))
          if (schemes.includes('apiKey')) return { 'x-api-key': user.key }
          if (schemes.includes('userBearer')) return { authorization: `Bearer ${user.accessToken}` }
          return {}
        },
      }).sort((a, b) => Number(destructive(a.url)) - Number(destructive(b.url)))
      for (const request of requests) {
        const response = await fetch(`${platform.gateway}${request.url}`, {
          method: request.method,
          headers: request.headers,
          ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
          signal: AbortSignal.timeout(10_000),
        })
        const contentType = response.headers.get('content-type') ?? undefined
        // Event streams never end: their status and media type are what can be checked.
        const text = contentType?.startsWith('text/event-stream') ? '' : await response.text()
        if (contentType?.startsWith('text/event-stream')) await response.body?.cancel()
        const body = contentType?.includes('json') && text ? JSON.parse(text) : text
        statuses.add(response.status)
        const answer = { status: response.status, contentType, body }
        problems.push(...answerProblems(conformance, request, answer, codes))
      }
    }
    expect(problems).toEqual([])
    expect([...statuses]).toEqual(expect.arrayContaining([200, 401]))
  }, 180_000)

  it('serves /metrics on each service’s own port, never through the gateway', async () => {
    for (const [name, port] of Object.entries(platform.ports)) {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`)
      expect(response.status, name).toBe(200)
      expect(await response.text()).toContain(`service="${name}"`)
    }
    for (const { publicPrefixes, name } of upstreamServices()) {
      const response = await fetch(`${platform.gateway}${publicPrefixes[0]}/metrics`)
      expect(await response.text(), name).not.toContain(`service="${name}"`)
    }
  })

  it('points the type of a problem at its page in the gateway’s catalogue', async () => {
    const problem = (
      await call(platform.gateway, 'POST', '/api/auth/login', {
        body: { email: 'nobody@example.com', password: 'wrong-password-1' },
      })
    ).body
    const slug = new URL(problem.type).pathname.replace(/^\/errors\//, '')
    const page = await call(platform.gateway, 'GET', `/errors/${slug}`)
    expect(page.status).toBe(200)
    // auth-api's refusal, or the gateway's 429 once the run above spent the per-IP login budget: both have a page.
    expect(page.body).toMatchObject({ code: problem.code, type: problem.type })
    expect(['auth-api', 'tenant-gateway']).toContain(page.body.service)
  })
})
