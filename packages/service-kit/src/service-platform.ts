import type { FastifyInstance, FastifyReply } from 'fastify'
import { type ErrorCatalogue, errorCatalogueOf } from './error-catalogue.ts'
import { type ErrorRow, type ErrorTable, errorTablesOf } from './error-tables.ts'
import type { ErrorFactory, Problem } from './errors.ts'
import { type LoadGauge, loadShedding } from './load-shedding.ts'
import { createServiceMetrics, installMetrics } from './metrics.ts'
import { installOpenApiDocument } from './openapi.ts'
import {
  DEFAULT_PLATFORM_SETTINGS,
  type LoadSheddingSettings,
  type PlatformSettings,
} from './platform-settings.ts'
import type { ServiceEntry } from './registry.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** Every code this service can answer, with status, title and what a client should do. */
    errorCatalogue: ErrorCatalogue
  }
}

/** What every service gets from createService besides the basics; each part on by default. */
export interface PlatformOptions {
  /**
   * The service's OpenAPI document, served on its own port at `/openapi.json` (the gateway's own at
   * `/openapi/<name>.json`: its `/openapi.json` is the combined public one). false: none.
   */
  openapi?: false | { path?: string; title?: string; version?: string; description?: string }
  /** `GET /metrics` (Prometheus). false: none. */
  metrics?: boolean
  /** 503 + Retry-After past an event-loop threshold. false: never. */
  loadShedding?: false | Partial<LoadSheddingSettings>
  /**
   * METRICS_TOKEN, thresholds, ERRORS_BASE_URL: `platformSettingsOf(config)` in a service's app.ts. Default:
   * DEFAULT_PLATFORM_SETTINGS (nothing shed: apps built in tests).
   */
  platform?: Partial<PlatformSettings>
  /** The service's `defineErrors` tables. Default: every table defined in the package that calls createService. */
  errors?: readonly Record<string, ErrorFactory>[]
}

function tablesOf(errors: readonly Record<string, ErrorFactory>[]): ErrorTable[] {
  return errors.map((factories) => ({
    packageDir: undefined,
    rows: Object.fromEntries(
      Object.values(factories).map((factory) => [
        factory.code,
        [factory.status, factory.title, factory.hint] as ErrorRow,
      ]),
    ),
  }))
}

/**
 * Metrics, load shedding, the error catalogue, problem type URLs and the OpenAPI document, in that order (metrics
 * first so they count shed requests; the document before any route so it sees them all). Returns the load gauge
 * for /ready.
 */
export function installPlatform(
  app: FastifyInstance,
  options: PlatformOptions & {
    name: string
    codePrefix: string
    entry?: ServiceEntry
    hasDatabase: boolean
    /** The package folder of the code that called createService (its error tables). */
    callerDir: string | undefined
  },
): LoadGauge | undefined {
  const scoped = DEFAULT_PLATFORM_SETTINGS
  const settings: PlatformSettings = {
    ...scoped,
    ...options.platform,
    loadShedding: {
      ...scoped.loadShedding,
      ...options.platform?.loadShedding,
      ...(options.loadShedding || {}),
    },
  }
  const catalogue = errorCatalogueOf({
    service: options.name,
    prefix: options.codePrefix,
    tables: options.errors ? tablesOf(options.errors) : errorTablesOf(options.callerDir),
    typeBase: settings.errorsBaseUrl,
  })
  app.decorate('errorCatalogue', catalogue)
  app.decorate('problemTypeBase', settings.errorsBaseUrl)
  const reported = new Set<string>()
  app.decorate('problemObserver', (reply: FastifyReply, problem: Problem) => {
    app.metrics.observeProblem(reply, problem.code, problem.status)
    // A code no table lists has no page in the catalogue: say so once, loudly (the tests fail on it).
    if (!catalogue.has(problem.code) && !reported.has(problem.code)) {
      reported.add(problem.code)
      reply.log.error({ code: problem.code }, 'problem code missing from the error catalogue')
    }
  })
  // Decorated now, not when the plugin loads: buildApp registers its own counters right after createService. With
  // metrics off they still work, nothing serves or counts requests.
  const own = createServiceMetrics(options.name)
  app.decorate('metrics', own)
  if (options.metrics ?? settings.metrics) {
    installMetrics(app, own, settings.metricsToken ? { token: settings.metricsToken } : {})
  }
  const shedding = options.loadShedding !== false
  if (shedding) app.register(loadShedding, settings.loadShedding)
  if (options.openapi !== false) {
    const own = options.openapi || {}
    installOpenApiDocument(app, {
      ...own,
      service: options.name,
      path:
        own.path ?? (options.entry?.access === 'gateway' ? `/openapi/${options.name}.json` : '/openapi.json'),
      catalogue,
      ...(options.entry ? { access: options.entry.access } : {}),
      publicPrefixes: options.entry?.publicPrefixes ?? [],
      hasDatabase: options.hasDatabase,
      loadShedding: shedding,
    })
  }
  return shedding ? { overloaded: () => app.load.overloaded(), state: () => app.load.state() } : undefined
}
