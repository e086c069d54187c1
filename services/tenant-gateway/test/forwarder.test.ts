import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createForwarder, endToEndHeaders, type Forwarder, failureOf } from '../src/proxy/forwarder.ts'

let upstream: FastifyInstance
let forwarder: Forwarder
const BIG = 'x'.repeat(1024 * 1024)

beforeAll(async () => {
  upstream = Fastify({ bodyLimit: 8 * 1024 * 1024 })
  upstream.removeAllContentTypeParsers()
  upstream.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))
  upstream.get('/small', async () => ({ ok: true }))
  upstream.get('/big', async (_request, reply) => reply.type('text/plain').send(BIG))
  upstream.get('/chunked', async (_request, reply) =>
    reply.type('text/plain').send(Readable.from(['a', 'b', 'c'])),
  )
  upstream.get('/empty', async (_request, reply) => reply.code(204).send())
  upstream.get('/headers', async (request) => request.headers)
  upstream.post('/echo', async (request) => ({ length: (request.body as Buffer).length }))
  upstream.get(
    '/slow',
    async () => new Promise((resolve) => setTimeout(() => resolve({ late: true }), 1_000)),
  )
  await upstream.listen({ port: 0, host: '127.0.0.1' })
  const { port } = upstream.server.address() as AddressInfo
  forwarder = createForwarder(`http://127.0.0.1:${port}`, { timeoutMs: 200, connections: 4 })
})

afterAll(async () => {
  await forwarder?.close()
  await upstream?.close()
})

async function text(body: Buffer | Readable | undefined): Promise<string> {
  if (body === undefined) return ''
  if (Buffer.isBuffer(body)) return body.toString('utf8')
  let all = ''
  for await (const chunk of body) all += chunk
  return all
}

const get = (path: string, headers = {}) =>
  forwarder.forward({ method: 'GET', path, headers, body: undefined })

describe('forwarder', () => {
  it('reads small bodies whole and streams large or unsized ones, intact', async () => {
    const small = await get('/small')
    expect(Buffer.isBuffer(small.body)).toBe(true)
    expect(JSON.parse(await text(small.body))).toEqual({ ok: true })

    const big = await get('/big')
    expect(big.body).toBeInstanceOf(Readable)
    expect(await text(big.body)).toBe(BIG)

    const chunked = await get('/chunked')
    expect(chunked.body).toBeInstanceOf(Readable)
    expect(chunked.headers['transfer-encoding']).toBeUndefined()
    expect(await text(chunked.body)).toBe('abc')
  })

  it('answers 204 without a body', async () => {
    const empty = await get('/empty')
    expect(empty).toMatchObject({ status: 204, body: undefined })
  })

  it('streams a request body upstream as it arrives', async () => {
    const payload = Buffer.alloc(3 * 1024 * 1024, 7)
    const response = await forwarder.forward({
      method: 'POST',
      path: '/echo',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(payload.length) },
      body: Readable.from([payload.subarray(0, 1_000_000), payload.subarray(1_000_000)]),
    })
    expect(JSON.parse(await text(response.body))).toEqual({ length: payload.length })
  })

  it('drops hop-by-hop headers and the ones Connection names, and sets Host to the upstream', async () => {
    const response = await get('/headers', {
      host: 'gateway.example',
      connection: 'keep-alive, x-hop',
      'x-hop': 'secret of this hop',
      'keep-alive': 'timeout=5',
      'proxy-authorization': 'Basic abc',
      expect: '100-continue',
      'x-end-to-end': 'kept',
    })
    const seen = JSON.parse(await text(response.body))
    expect(seen['x-end-to-end']).toBe('kept')
    expect(seen.host).toMatch(/^127\.0\.0\.1:\d+$/)
    for (const name of ['x-hop', 'keep-alive', 'proxy-authorization', 'expect'])
      expect(seen[name]).toBeUndefined()
    expect(endToEndHeaders({ connection: 'close', te: 'trailers', 'x-a': '1' })).toEqual({ 'x-a': '1' })
  })

  it('tells a timeout (504) from an unreachable upstream (503)', async () => {
    const slow = await get('/slow').catch((error: unknown) => error)
    expect(failureOf(slow)).toBe('timeout')
    const nowhere = createForwarder('http://127.0.0.1:1', { timeoutMs: 200, connections: 1 })
    const refused = await nowhere
      .forward({ method: 'GET', path: '/', headers: {}, body: undefined })
      .catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(Error)
    expect(failureOf(refused)).toBe('unavailable')
    await nowhere.close()
  })
})
