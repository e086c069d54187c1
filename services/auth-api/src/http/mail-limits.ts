import type { FastifyInstance } from 'fastify'
import { normalizeEmail } from '../users.ts'
import { enforceLimits } from './rate-limits.ts'

export interface MailLimits {
  windowSeconds: number
  perAccount: number
  perIp: number
}

/** Routes that send mail: per client IP and per address, so nobody can flood a mailbox or the SMTP relay. */
export function mailLimits(app: FastifyInstance, name: string, limits: MailLimits, emailField: string) {
  return enforceLimits(app, [
    { name: `${name}-ip`, max: limits.perIp, windowSeconds: limits.windowSeconds, key: (r) => r.ip },
    {
      name: `${name}-account`,
      max: limits.perAccount,
      windowSeconds: limits.windowSeconds,
      key: (request) => normalizeEmail(String((request.body as Record<string, unknown>)[emailField] ?? '')),
    },
  ])
}
