import proxy from '@fastify/http-proxy'
import Fastify from 'fastify'
const mode = process.argv[3] ?? 'http'
const app = Fastify({ logger: false })
await app.register(proxy, {
  upstream: process.argv[2]!,
  prefix: '/api/tasks',
  rewritePrefix: '/api/tasks',
  disableRequestLogging: true,
  ...(mode === 'http' ? { http: { requestOptions: { timeout: 10000 } } } : { undici: { connections: 128, pipelining: 1 } }),
})
await app.listen({ port: 0, host: '127.0.0.1' })
const a = app.server.address()
process.send?.({ port: typeof a === 'object' && a ? a.port : 0, key: 'x', store: 'none', database: 'none' })
process.on('disconnect', () => process.exit(0))
