import type { FastifyRequest } from 'fastify'
import type { Requester } from '../desktop-sessions.ts'
import { errors } from '../errors.ts'
import { POLL_TOKEN_HEADER } from './schemas.ts'

const MAX_USER_AGENT = 512

/** request.ip honours X-Forwarded-For only from TRUST_PROXY addresses (the gateway). */
export function requesterOf(request: FastifyRequest): Requester {
  const userAgent = request.headers['user-agent']
  return { ip: request.ip, ...(userAgent ? { userAgent: userAgent.slice(0, MAX_USER_AGENT) } : {}) }
}

/** The desktop's poll token: the x-qr-poll-token header, or ?pollToken= where the route allows it. */
export function pollTokenOf(request: FastifyRequest): string {
  const header = request.headers[POLL_TOKEN_HEADER]
  const query = (request.query as { pollToken?: string } | undefined)?.pollToken
  const token = typeof header === 'string' ? header : query
  if (!token) throw errors.POLL_TOKEN_INVALID(`Send the session's poll token in ${POLL_TOKEN_HEADER}.`)
  return token
}

/** The signed-in user of the phone, as the gateway's signed context names them. */
export function phoneUserOf(request: FastifyRequest): string {
  const userId = request.caller?.userId
  if (!userId) {
    throw errors.LOGIN_REQUIRED('Call through the gateway with Authorization: Bearer <your access token>.')
  }
  return userId
}
