import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RawServerDefault } from 'fastify'
import { callerContext } from './caller-context.ts'
import { callerPackageDir } from './error-tables.ts'
import { errorHandling } from './errors.ts'
import { clientErrorHandler, frameworkErrorHandler } from './framework-errors.ts'
import { healthRoutes, type ReadinessProbe } from './health.ts'
import { type LoggerSettings, loggerOptions } from './logger.ts'
import { envStemOf, SERVICES } from './registry.ts'
import { installRequestGuards } from './request-guards.ts'
import { requestIdFrom } from './request-id.ts'
import { installPlatform, type PlatformOptions } from './service-platform.ts'

export type ServiceInstance = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>

export interface ServiceOptions extends PlatformOptions {
  /** e.g. 'auth-api'; also gives the error-code prefix AUTH_API_. */
  name: string
  logger?: LoggerSettings | false
  /** Readiness probe, usually the DbHandle. */
  database?: ReadinessProbe
  bodyLimit?: number
  /** Trusted proxy addresses for request.ip (e.g. the gateway); false means use the socket address. */
  trustProxy?: boolean | string | string[]
  /**
   * Public path prefix behind the gateway (e.g. '/api/auth'): health and ready are served there too. Defaults to
   * the registry's first prefix for an upstream.
   */
  publicPrefix?: string
  /** INTERNAL_SECRET: verify the gateway's signed caller context (request.caller). */
  internalSecret?: string
  /** Send Strict-Transport-Security on every answer (COOKIE_SECURE); otherwise only on requests over TLS. */
  hsts?: boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    shuttingDown: boolean
  }
}

/**
 * The bootstrap every service shares: request ids, problem+json errors, 404s, health and readiness.
 * Unknown body fields are removed before the handler sees them (ajv removeAdditional: 'all'), consistently on every route.
 */
export function createService(options: ServiceOptions): ServiceInstance {
  return buildService(options, callerPackageDir(1))
}

/** createService, for a caller that found the package folder of the service's app.ts itself (`callerDir`). */
export function buildService(options: ServiceOptions, callerDir: string | undefined): ServiceInstance {
  const codePrefix = envStemOf(options.name)
  const logger =
    options.logger === false
      ? false
      : {
          ...loggerOptions(options.name, options.logger),
          ...(options.logger?.stream ? { stream: options.logger.stream } : {}),
        }
  const app = Fastify({
    logger,
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    genReqId: requestIdFrom,
    requestIdHeader: false,
    trustProxy: options.trustProxy ?? false,
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
    keepAliveTimeout: 72_000,
    forceCloseConnections: 'idle',
    // The guards answer 503 problem+json themselves while shutting down; Fastify's own is plain JSON.
    return503OnClosing: false,
    frameworkErrors: frameworkErrorHandler(codePrefix),
    clientErrorHandler: clientErrorHandler(codePrefix),
    ajv: {
      customOptions: { removeAdditional: 'all', coerceTypes: 'array', useDefaults: true, allErrors: true },
    },
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.decorate('shuttingDown', false)
  // Callback-style hooks: an async one costs a promise on every request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    done()
  })
  // During shutdown, in-flight keep-alive connections must not linger idle and hold the close open.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (app.shuttingDown) reply.header('connection', 'close')
    done(null, payload)
  })
  app.register(errorHandling, { codePrefix })
  installRequestGuards(app, { codePrefix, ...(options.hsts ? { hsts: true } : {}) })
  const entry = SERVICES.find((service) => service.name === options.name)
  // Before the caller context: a shed request costs no signature check.
  const load = installPlatform(app, {
    ...options,
    codePrefix,
    ...(entry ? { entry } : {}),
    hasDatabase: options.database !== undefined,
    callerDir,
  })
  if (options.internalSecret)
    app.register(callerContext, { secret: options.internalSecret, audience: options.name })
  const publicPrefix =
    options.publicPrefix ?? (entry?.access === 'gateway' ? undefined : entry?.publicPrefixes[0])
  // What the gateway publishes (an upstream's public prefix, the gateway's own root) answers status only.
  for (const prefix of publicPrefix ? ['', publicPrefix] : ['']) {
    const statusOnly = prefix !== '' || entry?.access === 'gateway'
    app.register(healthRoutes, { prefix, service: options.name, probe: options.database, load, statusOnly })
  }
  return app
}
