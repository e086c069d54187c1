import type { DbHandle } from '@gatehouse/db-kit'
import { SECURITY, type ServiceInstance, withTimeout } from '@gatehouse/service-kit'
import Type from 'typebox'

const Health = Type.Object({
  status: Type.Union([Type.Literal('healthy'), Type.Literal('unhealthy')]),
  services: Type.Object({
    database: Type.Object({
      status: Type.Union([Type.Literal('connected'), Type.Literal('disconnected')]),
      latency: Type.Optional(Type.String()),
    }),
  }),
})

/** Seed 003's GET /api/health, in its shape. /health (liveness) and /ready come from service-kit. */
export async function healthRoutes(app: ServiceInstance, { database }: { database: DbHandle }) {
  app.get(
    '/api/health',
    {
      logLevel: 'warn',
      config: { problems: [] },
      schema: {
        summary: 'Health in seed 003’s shape',
        security: SECURITY.public,
        response: { 200: Health, 503: Health },
      },
    },
    async (_request, reply) => {
      try {
        const latencyMs = await withTimeout(database.ping(), 2000)
        return {
          status: 'healthy' as const,
          services: { database: { status: 'connected' as const, latency: `${Math.round(latencyMs)}ms` } },
        }
      } catch {
        reply.code(503).header('retry-after', '5')
        return { status: 'unhealthy' as const, services: { database: { status: 'disconnected' as const } } }
      }
    },
  )
}
