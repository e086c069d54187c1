/** The reference: @fastify/http-proxy alone with the gateway's transport settings, no auth, no limit, no context. */
import proxy from '@fastify/http-proxy'
import Fastify from 'fastify'

const app = Fastify({ logger: false })
await app.register(proxy, {
  upstream: process.argv[2]!,
  prefix: '/api/tasks',
  rewritePrefix: '/api/tasks',
  disableRequestLogging: true,
  undici: { connections: 128 },
})
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
process.send?.({ port: typeof address === 'object' && address ? address.port : 0 })
process.on('disconnect', () => void app.close().then(() => process.exit(0)))
