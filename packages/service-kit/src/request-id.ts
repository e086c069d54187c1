import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** Reuse the caller's x-request-id when it is a plain token, so one id follows a request across services. */
export function requestIdFrom(request: IncomingMessage): string {
  const header = request.headers['x-request-id']
  const candidate = Array.isArray(header) ? header[0] : header
  return candidate && SAFE_REQUEST_ID.test(candidate) ? candidate : randomUUID()
}
