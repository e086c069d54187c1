import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { problemType, sendProblem } from './errors.ts'

/**
 * Errors Fastify raises before any route or hook runs. Its own answers are plain JSON without a request id, and
 * FST_ERR_BAD_URL repeats the whole URL, query string (and whatever token it holds) included.
 */
const ROUTER_ERRORS: Record<string, { code: string; status: number; title: string; detail: string }> = {
  FST_ERR_BAD_URL: {
    code: 'BAD_URL',
    status: 400,
    title: 'Bad request',
    detail: 'The URL is not valid (bad percent-encoding).',
  },
  FST_ERR_MAX_PARAM_LENGTH: {
    code: 'URI_TOO_LONG',
    status: 414,
    title: 'URI too long',
    detail: 'A path segment of the URL is too long.',
  },
}

/** Fastify's `frameworkErrors` option: the router's refusals as problem+json with the request id, the URL never echoed. */
export function frameworkErrorHandler(codePrefix: string) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const known = ROUTER_ERRORS[error.code]
    request.log.info({ code: error.code }, 'refused by the router')
    reply.header('x-request-id', request.id)
    return sendProblem(reply, {
      code: `${codePrefix}_${known?.code ?? 'BAD_REQUEST'}`,
      title: known?.title ?? 'Bad request',
      status: known?.status ?? 400,
      detail: known?.detail ?? 'The request cannot be routed.',
    })
  }
}

const CLIENT_ERRORS: Record<string, { code: string; status: number; detail: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: {
    code: 'REQUEST_TIMEOUT',
    status: 408,
    detail: 'The request took too long to arrive.',
  },
  HPE_HEADER_OVERFLOW: {
    code: 'HEADERS_TOO_LARGE',
    status: 431,
    detail: 'The request line and headers are too large.',
  },
}

/**
 * The server's `clientError` handler: a request Node's HTTP parser refused (bad request line or header, headers
 * too large, too slow) gets a problem+json with a fresh request id before the socket closes, like every answer.
 */
export function clientErrorHandler(codePrefix: string) {
  // Fastify calls it with the instance as `this`.
  return function onClientError(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket) {
    if (error.code === 'ECONNRESET' || socket.destroyed) return
    const known = (error.code && CLIENT_ERRORS[error.code]) || {
      code: 'BAD_REQUEST',
      status: 400,
      detail: 'The request is not valid HTTP.',
    }
    const requestId = randomUUID()
    const code = `${codePrefix}_${known.code}`
    const title = STATUS_CODES[known.status] ?? 'Bad Request'
    const body = JSON.stringify({
      type: problemType(code, this.problemTypeBase),
      title,
      status: known.status,
      detail: known.detail,
      code,
      requestId,
    })
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${known.status} ${title}\r\nContent-Type: application/problem+json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
      )
    }
    socket.destroy(error)
  }
}
