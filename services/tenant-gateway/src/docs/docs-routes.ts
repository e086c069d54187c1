import { type Clock, type ServiceInstance, systemClock } from '@gatehouse/service-kit'
import scalar from '@scalar/fastify-api-reference'
import Type from 'typebox'
import type { Upstream } from '../proxy/route-table.ts'
import { combineDocuments, type ServiceDocument } from './combined-document.ts'
import { catalogueHtml, codeOfSlug, entryHtml, prefersHtml } from './error-pages.ts'
import { createUpstreamDocuments } from './upstream-documents.ts'

export interface DocsRouteDeps {
  upstreams: readonly Upstream[]
  clock?: Clock
}

const Entry = Type.Object({
  code: Type.String(),
  status: Type.Integer(),
  title: Type.String(),
  hint: Type.String(),
  service: Type.String(),
  type: Type.String(),
})
const Document = Type.Object({ openapi: Type.String() }, { additionalProperties: true })
/** The pages browsers get (text/html); JSON clients get the objects. */
const Html = Type.String()
const hidden = { hide: true } as const

/**
 * The public API for people: `GET /openapi.json` (the gateway's routes and every upstream's public ones, see
 * combineDocuments), `/docs` (Scalar, its script served from this process: no CDN, no web fonts, no proxy),
 * `/errors` and `/errors/<code>` (HTML for browsers following a problem's `type`, JSON otherwise).
 */
export async function docsRoutes(app: ServiceInstance, { upstreams, clock = systemClock }: DocsRouteDeps) {
  const documents = createUpstreamDocuments({
    upstreams,
    clock,
    onError: (service, error) =>
      app.log.warn(
        { upstream: service, errorName: (error as Error).name },
        'upstream API document unavailable',
      ),
  })
  let last: { sources: unknown[]; document: ServiceDocument } | undefined
  const combined = async (): Promise<ServiceDocument> => {
    const fetched = await documents.all()
    const sources = fetched.map(({ document }) => document)
    if (last && sources.every((source, index) => source === last?.sources[index])) return last.document
    const document = combineDocuments({
      own: app.swagger() as unknown as ServiceDocument,
      upstreams: fetched,
      gatewayPrefix: app.errorCodePrefix,
    })
    last = { sources, document }
    return document
  }

  app.get('/openapi.json', { schema: { ...hidden, response: { 200: Document } } }, async () => combined())

  app.get(
    '/errors',
    {
      schema: {
        ...hidden,
        response: { 200: Type.Union([Type.Object({ errors: Type.Array(Entry) }), Html]) },
      },
    },
    async (request, reply) => {
      const entries = (await combined())['x-gatehouse-errors'] ?? []
      if (prefersHtml(request.headers.accept))
        return reply.type('text/html; charset=utf-8').send(catalogueHtml(entries))
      return { errors: entries }
    },
  )

  app.get(
    '/errors/:code',
    {
      schema: {
        ...hidden,
        params: Type.Object({
          code: Type.String({ minLength: 1, maxLength: 120, pattern: '^[A-Za-z0-9_-]+$' }),
        }),
        response: { 200: Type.Union([Entry, Html]) },
      },
    },
    async (request, reply) => {
      const code = codeOfSlug(request.params.code)
      const entry = ((await combined())['x-gatehouse-errors'] ?? []).find(
        (candidate) => candidate.code === code,
      )
      if (!entry) return reply.callNotFound()
      if (prefersHtml(request.headers.accept))
        return reply.type('text/html; charset=utf-8').send(entryHtml(entry))
      return entry
    },
  )

  await app.register(scalar, {
    routePrefix: '/docs',
    configuration: {
      url: '/openapi.json',
      pageTitle: 'Gatehouse API',
      withDefaultFonts: false,
      telemetry: false,
      hideClientButton: true,
      showDeveloperTools: 'never',
      agent: { disabled: true },
      mcp: { disabled: true },
    },
  })
}
