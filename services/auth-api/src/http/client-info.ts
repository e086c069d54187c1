import type { FastifyRequest } from 'fastify'
import type { ClientInfo } from '../audit.ts'

const MAX_USER_AGENT = 512

/** request.ip honours X-Forwarded-For only from TRUST_PROXY addresses (the gateway). */
export function clientInfo(request: FastifyRequest): ClientInfo {
  const userAgent = request.headers['user-agent']
  return { ip: request.ip, ...(userAgent ? { userAgent: userAgent.slice(0, MAX_USER_AGENT) } : {}) }
}
