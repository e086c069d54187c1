import type { IncomingHttpHeaders } from 'node:http'
import { INTERNAL_CONTEXT_HEADER, SERVICE_TOKEN_HEADER } from '@gatehouse/service-kit'
import type { FastifyRequest } from 'fastify'
import type { UpstreamAccess } from './route-table.ts'

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

/** What goes upstream: the client's headers without identity (and, on tenant routes, credentials), plus ours. */
export function forwardedHeaders(
  request: Pick<FastifyRequest, 'id' | 'ip' | 'protocol' | 'contextToken'>,
  headers: IncomingHttpHeaders,
  access: UpstreamAccess,
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
  if (request.contextToken) out[INTERNAL_CONTEXT_HEADER] = request.contextToken
  return out
}
