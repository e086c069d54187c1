import type { IncomingHttpHeaders } from 'node:http'
import type { Readable } from 'node:stream'
import { type Dispatcher, Pool, errors as undiciErrors } from 'undici'

/**
 * Headers that describe one hop, never the message (RFC 9110 section 7.6.1), plus Host (set per upstream) and
 * Expect (undici cannot send it; the body is forwarded as it arrives anyway).
 */
const HOP_BY_HOP = new Set([
  'expect',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'host',
])

/**
 * Responses up to this size are read whole and written to the client in one write (headers and body
 * together); larger or unsized ones are streamed. Reading small bodies whole is what makes this forwarder about
 * twice as fast as piping them (bench/README.md).
 */
const BUFFERED_BODY_LIMIT = 256 * 1024

const DEFAULT_MAX_QUEUE = 256

/** Copies headers without the hop-by-hop ones and without those the Connection header names. */
export function endToEndHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const named = typeof headers.connection === 'string' ? headers.connection.toLowerCase().split(',') : []
  const listed = new Set(named.map((name) => name.trim()).filter(Boolean))
  const out: Record<string, string | string[]> = {}
  for (const name in headers) {
    const value = headers[name]
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name)) continue
    out[name] = value
  }
  return out
}

export type ForwardFailure = 'timeout' | 'unavailable' | 'busy'

/** Thrown at once when as many requests already wait for a connection of the upstream as its queue holds. */
export class UpstreamBusyError extends Error {
  override name = 'UpstreamBusyError'
}

export interface ForwardRequest {
  method: string
  /** Path and query, as the client sent them. */
  path: string
  headers: IncomingHttpHeaders
  /** The client's body as a stream; undefined when there is none. */
  body: Readable | undefined
}

export interface ForwardedResponse {
  status: number
  headers: Record<string, string | string[]>
  /** Small bodies whole, larger ones as a stream. */
  body: Buffer | Readable | undefined
}

export interface Forwarder {
  forward(request: ForwardRequest): Promise<ForwardedResponse>
  close(): Promise<void>
}

/**
 * The failure kind of an undici error: timeouts (a queued request's deadline included) are 504s, a full queue and
 * anything else on the way are 503s.
 */
export function failureOf(error: unknown): ForwardFailure {
  if (error instanceof UpstreamBusyError) return 'busy'
  return error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError ||
    error instanceof undiciErrors.ConnectTimeoutError ||
    (error as Error | undefined)?.name === 'TimeoutError'
    ? 'timeout'
    : 'unavailable'
}

/**
 * One keep-alive connection pool per upstream (undici). Nothing is retried: the caller sees what happened.
 *
 * undici's timeouts start once a request is on a connection; one waiting for a connection (all of them busy, the
 * upstream stalled) would wait unbounded. So the forwarder counts the requests holding or waiting for a
 * connection: past `connections` a request gets its own deadline of `timeoutMs` (an AbortSignal, allocated only
 * then), and past `connections + maxQueue` it is refused at once (UpstreamBusyError).
 */
export function createForwarder(
  upstreamUrl: string,
  options: { timeoutMs: number; connections: number; maxQueue?: number },
): Forwarder {
  const origin = new URL(upstreamUrl)
  const pool = new Pool(origin.origin, {
    connections: options.connections,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connectTimeout: options.timeoutMs,
  })
  const capacity = options.connections + (options.maxQueue ?? DEFAULT_MAX_QUEUE)
  let busy = 0
  const released = () => {
    busy -= 1
  }
  return {
    async forward(request) {
      if (busy >= capacity) throw new UpstreamBusyError(`${origin.host}: ${busy} requests in flight`)
      const queued = busy >= options.connections
      busy += 1
      let response: Dispatcher.ResponseData
      try {
        const headers = endToEndHeaders(request.headers)
        headers.host = origin.host
        response = await pool.request({
          method: request.method as 'GET',
          path: request.path,
          headers,
          body: request.body,
          ...(queued ? { signal: AbortSignal.timeout(options.timeoutMs) } : {}),
        })
      } catch (error) {
        released()
        throw error
      }
      const out = endToEndHeaders(response.headers)
      if (request.method === 'HEAD' || response.statusCode === 204 || response.statusCode === 304) {
        try {
          await response.body.dump()
        } finally {
          released()
        }
        return { status: response.statusCode, headers: out, body: undefined }
      }
      const length = Number(response.headers['content-length'])
      if (Number.isInteger(length) && length <= BUFFERED_BODY_LIMIT) {
        let body: ArrayBuffer
        try {
          body = await response.body.arrayBuffer()
        } finally {
          released()
        }
        return { status: response.statusCode, headers: out, body: Buffer.from(body) }
      }
      // A streamed body holds its connection until it is read to the end or dropped.
      response.body.once('close', released)
      return { status: response.statusCode, headers: out, body: response.body }
    },
    close: () => pool.close(),
  }
}
