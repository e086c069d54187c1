import proxy from '@fastify/http-proxy'
import { sendProblem } from '@gatehouse/service-kit'
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { Upstream } from '../upstreams.ts'

/** One proxy per public prefix. Upstream failures become problem+json quickly: 504 on timeout, 503 when unreachable. */
export async function proxyRoutes(app: FastifyInstance, options: { upstreams: Upstream[]; timeoutMs: number }) {
  for (const upstream of options.upstreams) {
    for (const prefix of upstream.prefixes) {
      await app.register(proxy, {
        upstream: upstream.url,
        prefix,
        rewritePrefix: prefix,
        http: { requestOptions: { timeout: options.timeoutMs } },
        replyOptions: {
          rewriteRequestHeaders: (request, headers) => ({ ...headers, 'x-request-id': request.id }),
          onError: (reply, { error }) => {
            const timedOut = (error as { statusCode?: number }).statusCode === 504
            reply.log.warn({ upstream: upstream.service, code: (error as { code?: string }).code }, 'upstream failed')
            return sendProblem(reply as FastifyReply, {
              code: timedOut ? 'TENANT_GATEWAY_UPSTREAM_TIMEOUT' : 'TENANT_GATEWAY_UPSTREAM_UNAVAILABLE',
              title: timedOut ? 'Gateway timeout' : 'Service unavailable',
              status: timedOut ? 504 : 503,
              detail: `${upstream.service} did not answer${timedOut ? ' in time' : ''}.`,
            })
          },
        },
      })
    }
  }
}
