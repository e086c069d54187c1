/** The trivial upstream: one hello route on loopback, in its own process. */
import Fastify from 'fastify'

const app = Fastify({ logger: false })
app.get('/api/tasks', async () => ({ hello: 'world' }))
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
process.send?.({ port: typeof address === 'object' && address ? address.port : 0 })
process.on('disconnect', () => void app.close().then(() => process.exit(0)))
