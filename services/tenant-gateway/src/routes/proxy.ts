import { randomUUID } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import type { Readable } from 'node:stream'
import {
  createContextSigner,
  INTERNAL_CONTEXT_HEADER,
  SERVICE_TOKEN_HEADER,
  type ServiceInstance,
} from '@gatehouse/service-kit'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Clock } from '../clock.ts'
import type { Config } from '../config.ts'
import { createContextTokens } from '../context-tokens.ts'
import { errors, sendError } from '../errors.ts'
import { createForwarder, failureOf } from '../forwarder.ts'
import type { Bucket, RateLimiter } from '../rate-limit.ts'
import type { Identity, TenantResolver } from '../tenant-resolution.ts'
import type { TokenAudit } from '../token-audit.ts'
import type { Access, Upstream } from '../upstreams.ts'
import type { UsageSink } from '../usage-sink.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    upstream?: string
    access?: Access
  }
  interface FastifyRequest {
    identity: Identity | null
    /** The signed x-gatehouse-context token for this request's upstream. */
    internalContext: string | null
  }
}

const CONTEXT_TTL_SECONDS = 60
const UPSTREAM_CONNECTIONS = 128
const PROXIED_METHODS = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'OPTIONS']

/**
 * Headers a client could use to pose as someone else upstream. They are always removed; the gateway's own
 * x-gatehouse-context, x-request-id and x-forwarded-* replace them.
 */
const IDENTITY_HEADERS = [
  INTERNAL_CONTEXT_HEADER,
  SERVICE_TOKEN_HEADER,
  'x-tenant-id',
  'x-client-id',
  'x-user-id',
  'x-key-id',
  'x-scopes',
  'x-api-key',
  'x-forwarded-user',
  'x-authenticated-user',
  'x-real-ip',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
]

/** On tenant routes the credential stays at the gateway: upstreams trust only the signed context. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie']

export function forwardedHeaders(
  request: Pick<FastifyRequest, 'id' | 'ip' | 'protocol' | 'internalContext'>,
  headers: IncomingHttpHeaders,
  access: Access,
) {
  const out: IncomingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('x-gatehouse-') || IDENTITY_HEADERS.includes(name)) continue
    if (access === 'tenant' && CREDENTIAL_HEADERS.includes(name)) continue
    out[name] = value
  }
  out['x-request-id'] = request.id
  out['x-forwarded-for'] = request.ip
  out['x-forwarded-proto'] = request.protocol
  if (request.internalContext) out[INTERNAL_CONTEXT_HEADER] = request.internalContext
  return out
}

/**
 * Service-to-service endpoints are never reachable from outside, whatever prefix an upstream mounts them under
 * (`/internal/*`, `/api/auth/internal/*`, an encoded `%69nternal`...).
 */
/** Upstream liveness/readiness stay reachable without credentials, like the gateway's own (`curl :8080/api/usage/health`). */
export function isProbePath(url: string): boolean {
  return /^\/api\/[a-z-]+\/(health|ready)$/.test(url.split('?')[0] ?? url)
}

export function isInternalPath(url: string): boolean {
  const path = url.split('?')[0] ?? url
  let decoded: string
  try {
    decoded = decodeURIComponent(path)
  } catch {
    return true
  }
  return decoded
    .toLowerCase()
    .split('/')
    .some((segment) => segment === 'internal')
}

export interface ProxyOptions {
  upstreams: Upstream[]
  config: Pick<
    Config,
    | 'UPSTREAM_TIMEOUT_MS'
    | 'INTERNAL_SECRET'
    | 'AUTH_RATE_LIMIT_MAX'
    | 'PUBLIC_RATE_LIMIT_MAX'
    | 'PUBLIC_RATE_LIMIT_WINDOW_MS'
  >
  tenants: TenantResolver
  limiter: RateLimiter
  usage: UsageSink
  audit: TokenAudit
  clock: Clock
}

/**
 * One proxy per public prefix. Before forwarding: who is calling (tenant routes require it), the rate limit
 * (per tenant, or per client IP on public routes), then a signed context for that upstream only. Upstream
 * failures become problem+json quickly: 504 on timeout, 503 when unreachable.
 */
export async function proxyRoutes(app: ServiceInstance, options: ProxyOptions) {
  const { config, tenants, limiter } = options
  const contextTokens = createContextTokens({
    signer: createContextSigner(config.INTERNAL_SECRET, { ttlSeconds: CONTEXT_TTL_SECONDS }),
    ttlSeconds: CONTEXT_TTL_SECONDS,
    // Tokens that carry nobody (anonymous calls of public routes) are not worth an audit row.
    onMint: ({ token, context, audience, requestId, issuedAt, expiresAt }) => {
      if (!context.tenantId && !context.userId) return
      options.audit.record({
        token,
        clientId: context.tenantId,
        keyId: context.keyId,
        userId: context.userId,
        audience,
        requestId,
        issuedAt,
        expiresAt,
      })
    },
  })
  const ipBucket = (request: FastifyRequest): Bucket => {
    // POSTs on public routes are the credential endpoints (login, register, refresh, QR create): the tight limit.
    const tier = request.method === 'POST' ? 'auth' : 'public'
    return {
      key: `ip:${tier}:${request.ip}`,
      name: `ip-${tier}`,
      policy: {
        max: tier === 'auth' ? config.AUTH_RATE_LIMIT_MAX : config.PUBLIC_RATE_LIMIT_MAX,
        windowMs: config.PUBLIC_RATE_LIMIT_WINDOW_MS,
      },
    }
  }

  app.decorateRequest('identity', null)
  app.decorateRequest('internalContext', null)

  app.addHook('onRequest', async (request, reply) => {
    const { upstream, access: routeAccess } = request.routeOptions.config
    if (!upstream || !routeAccess) return
    const access = isProbePath(request.url) ? 'public' : routeAccess
    if (isInternalPath(request.url)) {
      reply.callNotFound()
      return reply
    }
    let identity: Identity | undefined
    let bucket: Bucket
    if (access === 'tenant') {
      const resolved = await tenants.requireTenant(request.headers)
      identity = resolved
      bucket = { key: `tenant:${resolved.tenantId}`, name: 'tenant', policy: resolved.rateLimit }
    } else {
      identity = await tenants.optionalUser(request.headers)
      bucket = ipBucket(request)
    }
    if (!(await limiter.consume(request, reply, bucket))) return reply
    const context = {
      tenantId: identity?.tenantId,
      userId: identity?.userId,
      keyId: identity?.keyId,
      scopes: identity?.scopes ?? [],
    }
    // Real time, not the injected clock: upstreams check the token's expiry against their own clocks.
    request.internalContext = contextTokens.tokenFor(context, upstream, { id: request.id, now: new Date() })
    request.identity = identity ?? null
  })

  // Exactly one usage event per forwarded request of a tenant, whatever the upstream answered.
  app.addHook('onResponse', async (request, reply) => {
    const { identity } = request
    const { upstream } = request.routeOptions.config
    if (!identity?.tenantId || !request.internalContext || !upstream) return
    options.usage.record({
      id: randomUUID(),
      occurredAt: options.clock(),
      tenantId: identity.tenantId,
      keyId: identity.keyId,
      userId: identity.userId,
      upstream,
      method: request.method,
      path: request.url.split('?')[0] ?? request.url,
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
      requestId: request.id,
    })
  })

  for (const upstream of options.upstreams) {
    const forwarder = createForwarder(upstream.url, {
      timeoutMs: config.UPSTREAM_TIMEOUT_MS,
      connections: UPSTREAM_CONNECTIONS,
    })
    app.addHook('onClose', () => forwarder.close())
    const forward = async (request: FastifyRequest, reply: FastifyReply) => {
      try {
        const response = await forwarder.forward({
          method: request.method,
          path: request.url,
          headers: forwardedHeaders(request, request.headers, upstream.access),
          body: request.body as Readable | undefined,
        })
        return reply.code(response.status).headers(response.headers).send(response.body)
      } catch (error) {
        const timedOut = failureOf(error) === 'timeout'
        reply.log.warn(
          { upstream: upstream.service, code: (error as { code?: string }).code },
          'upstream failed',
        )
        const detail = `${upstream.service} did not answer${timedOut ? ' in time' : ''}.`
        return sendError(
          reply,
          timedOut ? errors.UPSTREAM_TIMEOUT(detail) : errors.UPSTREAM_UNAVAILABLE(detail),
        )
      }
    }
    await app.register(async (scope) => {
      // Bodies go upstream as they arrived: never parsed, re-encoded or size-checked here (the upstream does).
      scope.removeAllContentTypeParsers()
      scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload))
      for (const prefix of upstream.prefixes) {
        for (const url of [prefix, `${prefix}/*`]) {
          scope.route({
            method: PROXIED_METHODS,
            url,
            config: { upstream: upstream.service, access: upstream.access },
            handler: forward,
          })
        }
      }
    })
  }
}
