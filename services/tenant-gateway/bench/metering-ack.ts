/**
 * For the usage-sink row: a receiver on metering's internal routes that only acknowledges (reads each batch,
 * answers every event accepted, stores nothing), in its own process. With it the gateway does all of its sink
 * work (batching, serialising, signing, posting, settling) while nothing else competes for the machine's cores:
 * the gateway's own cost of the usage stream. Answers `count` with the events it acknowledged.
 */
import { createServer } from 'node:http'
import { answerCpuQuestions } from '@gatehouse/service-kit/bench'

let events = 0
const server = createServer((request, response) => {
  const chunks: Buffer[] = []
  request.on('data', (chunk: Buffer) => chunks.push(chunk))
  request.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { events?: unknown[] }
    let answer: unknown = {}
    if (request.url === '/internal/usage-events') {
      const count = body.events?.length ?? 0
      events += count
      answer = { accepted: count, duplicates: 0, rejected: [] }
    } else if (request.url === '/internal/usage/month-to-date') {
      const now = new Date()
      const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1))
      const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1))
      answer = { metric: 'api.request', periodStart: start, periodEnd: end, asOf: now, usage: [] }
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer))
  })
})
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 })
})
answerCpuQuestions()
process.on('message', (message) => {
  if (message === 'count') process.send?.({ events, keys: events })
})
process.on('disconnect', () => server.close(() => process.exit(0)))
