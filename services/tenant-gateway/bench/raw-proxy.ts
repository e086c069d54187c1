/**
 * The floor of any Node proxy on this machine: node:http in, one undici pool out, the whole (small) body in one
 * write. No framework, no header filtering, no auth, no limit, no context.
 */
import { createServer } from 'node:http'
import { Pool } from 'undici'

const pool = new Pool(process.argv[2]!, { connections: 128 })
const server = createServer(async (request, response) => {
  const upstream = await pool.request({
    method: 'GET',
    path: request.url ?? '/',
    headers: { 'x-request-id': String(request.headers['x-request-id'] ?? '') },
  })
  const body = Buffer.from(await upstream.body.arrayBuffer())
  response.writeHead(upstream.statusCode, {
    'content-type': String(upstream.headers['content-type']),
    'content-length': body.length,
  })
  response.end(body)
})
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 })
})
process.on('disconnect', () => server.close(() => void pool.close().then(() => process.exit(0))))
