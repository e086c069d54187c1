import { randomUUID } from 'node:crypto'
import type { Readable } from 'node:stream'
import {
  type Caller,
  type Clock,
  createContextSigner,
  type ServiceInstance,
  sendServiceError,
} from '@gatehouse/service-kit'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { TenantResolver } from '../callers/tenant-resolution.ts'
import type { Config } from '../config.ts'
import { errors } from '../errors.ts'
import { type Bucket, dropRateLimitHeaders, type RateLimiter } from '../infra/rate-limit.ts'
import type { TokenAudit } from '../infra/token-audit.ts'
import type { QuotaStatus, QuotaTracker } from '../usage/quota-tracker.ts'
import type { UsageSink } from '../usage/usage-sink.ts'
import { limitedBody, type Overflow } from './body-limit.ts'
import { createContextTokens } from './context-tokens.ts'
import { forwardedHeaders } from './forwarded-headers.ts'
import { createForwarder, failureOf } from './forwarder.ts'
import { isInternalPath, isProbe, type Upstream, type UpstreamAccess } from './route-table.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    upstream?: string
    access?: UpstreamAccess
  }
  interface FastifyRequest {
    /** The signed x-gatehouse-context token sent to this request's upstream (request.caller, for it only). */
    contextToken: string | null
    /** The tenant whose quota holds a unit for this request until it ends. */
    quotaHeld: string | null
  }
}

const CONTEXT_TTL_SECONDS = 60
// No OPTIONS: preflights are the gateway's own (infra/cors.ts); upstreams never answer them.
const PROXIED_METHODS = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT']

/** The caller of a public route without a valid user token (one shared object, only ever read). */
const ANONYMOUS: Caller = { scopes: [] }

export interface ProxyOptions {
  upstreams: Upstream[]
  config: Pick<
    Config,
    | 'UPSTREAM_TIMEOUT_MS'
    | 'UPSTREAM_CONNECTIONS'
    | 'UPSTREAM_MAX_QUEUE'
    | 'INTERNAL_SECRET'
    | 'AUTH_RATE_LIMIT_MAX'
    | 'PUBLIC_RATE_LIMIT_MAX'
    | 'PUBLIC_RATE_LIMIT_WINDOW_MS'
  >
  tenants: TenantResolver
  limiter: RateLimiter
  usage: UsageSink
  quotas: QuotaTracker
  audit: TokenAudit
  clock: Clock
}

/**
 * One proxy per public prefix. Before forwarding: who is calling (tenant routes require it), the rate limit
 * (per tenant, or per client IP on public routes), then a signed context for that upstream only. Upstream
 * failures become problem+json quickly: 504 on timeout, 503 when unreachable.
 */
export async function proxyRoutes(app: ServiceInstance, options: ProxyOptions) {
  const { config, tenants, limiter, quotas } = options
  const minted = app.metrics.counter('gateway_context_tokens_minted_total', 'Context tokens signed.', [
    'upstream',
  ])
  const upstreamErrors = app.metrics.counter(
    'gateway_upstream_errors_total',
    'Forwarded requests the upstream did not answer, by upstream and kind.',
    ['upstream', 'kind'],
  )
  const contextTokens = createContextTokens({
    signer: createContextSigner(config.INTERNAL_SECRET, { ttlSeconds: CONTEXT_TTL_SECONDS }),
    ttlSeconds: CONTEXT_TTL_SECONDS,
    // Tokens that carry nobody (anonymous calls of public routes) are not worth an audit row.
    onMint: ({ token, caller, audience, requestId, issuedAt, expiresAt }) => {
      minted.inc({ upstream: audience })
      if (!caller.tenantId && !caller.userId) return
      options.audit.record({
        token,
        clientId: caller.tenantId,
        keyId: caller.keyId,
        userId: caller.userId,
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

  // request.caller is the type service-kit declares for upstreams: the gateway resolves what they read back.
  app.decorateRequest('caller', null)
  app.decorateRequest('contextToken', null)
  app.decorateRequest('quotaHeld', null)

  // Route-level hooks made per upstream (below), so the request path never reads request.routeOptions, which
  // Fastify builds anew on every access.
  const admitFor =
    (upstream: string, routeAccess: UpstreamAccess) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const access = isProbe(request.method, request.url) ? 'public' : routeAccess
      if (isInternalPath(request.url)) {
        reply.callNotFound()
        return reply
      }
      let caller: Caller | undefined
      let bucket: Bucket
      if (access === 'tenant') {
        const resolved = await tenants.requireTenant(request.headers)
        caller = resolved.caller
        // The quota before the rate limit: an in-memory check, and the refusal that lasts (until the next month).
        // Reading one's own usage (GET /api/usage/*: summaries, alerts) stays open over quota; it is still metered.
        if (!readsOwnUsage(upstream, request.method)) {
          const exceeded = quotas.admit(resolved.caller.tenantId, resolved.quota)
          if (exceeded) return sendServiceError(reply, usageExceeded(exceeded, options.clock()))
          request.quotaHeld = resolved.caller.tenantId
        }
        bucket = { key: `tenant:${resolved.caller.tenantId}`, name: 'tenant', policy: resolved.rateLimit }
      } else {
        caller = await tenants.optionalUser(request.headers)
        bucket = ipBucket(request)
      }
      if (!(await limiter.consume(request, reply, bucket))) {
        releaseQuota(request)
        return reply
      }
      // Real time, not the injected clock: upstreams check the token's expiry against their own clocks.
      request.contextToken = contextTokens.tokenFor(caller ?? ANONYMOUS, upstream, {
        id: request.id,
        now: new Date(),
      })
      request.caller = caller ?? null
    }

  const releaseQuota = (request: FastifyRequest) => {
    if (request.quotaHeld === null) return
    quotas.release(request.quotaHeld)
    request.quotaHeld = null
  }
  const onRequestAbort = async (request: FastifyRequest) => releaseQuota(request)

  // Exactly one usage event per forwarded request of a tenant, whatever the upstream answered.
  // Callback style: no promise per request.
  const recordUsageFor =
    (upstream: string) => (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      const { caller } = request
      if (!caller?.tenantId || !request.contextToken) {
        releaseQuota(request)
        return done()
      }
      // Counted before the hold is released, in the same tick: the quota never sees the request as neither.
      quotas.recorded(caller.tenantId)
      releaseQuota(request)
      options.usage.record({
        id: randomUUID(),
        occurredAt: options.clock(),
        tenantId: caller.tenantId,
        keyId: caller.keyId,
        userId: caller.userId,
        upstream,
        method: request.method,
        path: request.url.split('?')[0] ?? request.url,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
        requestId: request.id,
      })
      done()
    }

  for (const upstream of options.upstreams) {
    const forwarder = createForwarder(upstream.url, {
      timeoutMs: config.UPSTREAM_TIMEOUT_MS,
      connections: config.UPSTREAM_CONNECTIONS,
      maxQueue: config.UPSTREAM_MAX_QUEUE,
    })
    app.addHook('onClose', () => forwarder.close())
    const tooLarge = (reply: FastifyReply) => {
      // The rest of the body is not read: the connection cannot carry another request after this answer.
      reply.header('connection', 'close')
      return sendServiceError(
        reply,
        errors.BODY_TOO_LARGE(`${upstream.service} takes bodies of up to ${upstream.maxBodyBytes} bytes.`),
      )
    }
    const forward = async (request: FastifyRequest, reply: FastifyReply) => {
      let body = request.body as Readable | undefined
      let overflow: Overflow | undefined
      const declared = request.headers['content-length']
      if (declared !== undefined) {
        if (Number(declared) > upstream.maxBodyBytes) return tooLarge(reply)
      } else if (body) {
        overflow = { exceeded: false }
        body = limitedBody(body, upstream.maxBodyBytes, overflow)
      }
      try {
        const response = await forwarder.forward({
          method: request.method,
          path: request.url,
          headers: forwardedHeaders(request, request.headers, upstream.access),
          body,
        })
        // The upstream's own 429 carries its own limit: the gateway's headers would contradict it.
        if (response.status === 429) dropRateLimitHeaders(reply)
        return reply.code(response.status).headers(response.headers).send(response.body)
      } catch (error) {
        if (overflow?.exceeded) return tooLarge(reply)
        const failure = failureOf(error)
        upstreamErrors.inc({ upstream: upstream.service, kind: failure })
        reply.log.warn(
          { upstream: upstream.service, code: (error as { code?: string }).code ?? (error as Error).name },
          'upstream failed',
        )
        if (failure === 'busy') {
          return sendServiceError(
            reply,
            errors
              .UPSTREAM_BUSY(`${upstream.service} has too many requests waiting; retry shortly.`)
              .withHeaders({ 'retry-after': '1' }),
          )
        }
        const timedOut = failure === 'timeout'
        const detail = `${upstream.service} did not answer${timedOut ? ' in time' : ''}.`
        return sendServiceError(
          reply,
          timedOut ? errors.UPSTREAM_TIMEOUT(detail) : errors.UPSTREAM_UNAVAILABLE(detail),
        )
      }
    }
    const onRequest = admitFor(upstream.service, upstream.access)
    const onResponse = recordUsageFor(upstream.service)
    await app.register(async (scope) => {
      // Bodies go upstream as they arrived, never parsed or re-encoded here; only their size is checked (forward).
      scope.removeAllContentTypeParsers()
      scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload))
      for (const prefix of upstream.prefixes) {
        for (const url of [prefix, `${prefix}/*`]) {
          scope.route({
            method: PROXIED_METHODS,
            url,
            config: { upstream: upstream.service, access: upstream.access },
            onRequest,
            onRequestAbort,
            onResponse,
            handler: forward,
          })
        }
      }
    })
  }
}

/** 429 with Retry-After to the next UTC month; no RateLimit headers: they describe the rate limit, not this. */
export function usageExceeded(status: QuotaStatus, now: Date) {
  const retryAfter = Math.max(1, Math.ceil((status.resetsAt.getTime() - now.getTime()) / 1000))
  return errors
    .USAGE_EXCEEDED(
      `This tenant has used its quota of ${status.limit} requests this month; it resets at ${status.resetsAt.toISOString()}.`,
      { limit: status.limit, used: status.used, resetsAt: status.resetsAt.toISOString() },
    )
    .withHeaders({ 'retry-after': String(retryAfter) })
}

function readsOwnUsage(upstream: string, method: string): boolean {
  return upstream === 'metering' && (method === 'GET' || method === 'HEAD')
}
