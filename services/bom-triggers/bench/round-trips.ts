/**
 * `pnpm --filter @gatehouse/bom-triggers bench:round-trips`: what one task creation costs on the wire, for the
 * bench's three cases (no triggers, 50 with none matching, 50 with 5 matching). The app runs in this process
 * (buildApp + inject) against PostgreSQL through a TCP proxy that reads the wire protocol: it counts round trips
 * (see connectionCounter), statements (Bind and simple Query messages) and parses, and with
 * ROUND_TRIPS_SQL=1 prints each statement of the last creation per case and the database's time per round trip
 * (median; ROUND_TRIPS_REPEAT creations per case, ROUND_TRIPS_LATENCY_MS the added latency, default 5). Needs BENCH_DATABASE_URL or
 * TEST_DATABASE_URL (a server URL; a database is created and dropped).
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { createDb, migrateUp } from '@gatehouse/db-kit'
import { INTERNAL_CONTEXT_HEADER, type ServiceInstance, signInternalContext } from '@gatehouse/service-kit'
import { buildApp } from '../src/app.ts'
import { loadBomTriggersConfig } from '../src/config.ts'
import { BENCH_SKUS, benchTriggers } from './triggers.ts'

const serverUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL
if (!serverUrl) {
  process.stderr.write(
    'round-trips: set BENCH_DATABASE_URL or TEST_DATABASE_URL to a PostgreSQL server URL\n',
  )
  process.exit(1)
}
const REPEAT = Number(process.env.ROUND_TRIPS_REPEAT ?? 5)
const SHOW_SQL = process.env.ROUND_TRIPS_SQL === '1'
const LATENCY_MS = Number(process.env.ROUND_TRIPS_LATENCY_MS ?? 5)
const INTERNAL_SECRET = randomBytes(32).toString('base64url')
const serviceDir = fileURLToPath(new URL('..', import.meta.url))

interface Counts {
  roundTrips: number
  /** Parse messages: statements the server parses (a prepared one only the first time on a connection). */
  parses: number
  /** What ran: each Bind (extended protocol) or Query (simple: BEGIN, COMMIT, SAVEPOINT ...). */
  statements: string[]
  /** Per round trip: from the app's first byte to the database's last ReadyForQuery, at the proxy (no latency added). */
  databaseMs: number[]
}

const counts: Counts = { roundTrips: 0, parses: 0, statements: [], databaseMs: [] }
const reset = () => {
  counts.roundTrips = 0
  counts.parses = 0
  counts.statements = []
  counts.databaseMs = []
}

const cString = (body: Buffer, from: number) => {
  const end = body.indexOf(0, from)
  return { text: body.subarray(from, end).toString(), next: end + 1 }
}

interface Message {
  type: string
  body: Buffer
}

/** Splits a protocol stream into messages; a client's first message (startup, SSL request) has no type byte. */
function splitter(untypedFirst: boolean) {
  let buffered = Buffer.alloc(0)
  let untyped = untypedFirst
  return (chunk: Buffer): Message[] => {
    buffered = Buffer.concat([buffered, chunk])
    const messages: Message[] = []
    for (;;) {
      if (untyped) {
        if (buffered.length < 8) break
        const length = buffered.readInt32BE(0)
        if (buffered.length < length) break
        // 80877103: SSLRequest, answered by one byte; the startup message comes after it.
        const ssl = buffered.readInt32BE(4) === 80877103
        if (!ssl) untyped = false
        messages.push({ type: ssl ? 'ssl' : 'startup', body: buffered.subarray(8, length) })
        buffered = buffered.subarray(length)
        continue
      }
      if (buffered.length < 5) break
      const length = buffered.readInt32BE(1)
      if (buffered.length < length + 1) break
      messages.push({ type: String.fromCharCode(buffered[0]!), body: buffered.subarray(5, length + 1) })
      buffered = buffered.subarray(length + 1)
    }
    return messages
  }
}

/**
 * One connection. A round trip starts when the app sends while it has every answer to what it sent before (no
 * Sync or simple query without its ReadyForQuery, no Flush without a reply since): the app waited. Statements
 * sent while earlier ones are unanswered are pipelined and start none.
 */
function connectionCounter() {
  const prepared = new Map<string, string>()
  const fromClient = splitter(true)
  const fromServer = splitter(false)
  const arrivals = splitter(false)
  let unanswered = 0
  let flushWaiting = false
  let sslByte = false
  // The same count on the database's side, as its answers arrive (before the added latency): for databaseMs.
  let pendingAtServer = 0
  let sentAt = 0
  return {
    client(chunk: Buffer) {
      if (unanswered === 0 && !flushWaiting) counts.roundTrips++
      if (pendingAtServer === 0) sentAt = performance.now()
      for (const { type, body } of fromClient(chunk)) {
        if (type === 'startup' || type === 'S' || type === 'Q') pendingAtServer++
        const at = `${counts.roundTrips}: `
        if (type === 'ssl') sslByte = true
        else if (type === 'startup' || type === 'S') unanswered++
        else if (type === 'H') flushWaiting = true
        else if (type === 'P') {
          counts.parses++
          const name = cString(body, 0)
          prepared.set(name.text, cString(body, name.next).text.replace(/\s+/g, ' ').trim())
        } else if (type === 'B') {
          const statement = cString(body, cString(body, 0).next).text
          counts.statements.push(`${at}${statement ? '(prepared) ' : ''}${prepared.get(statement)}`)
        } else if (type === 'Q') {
          unanswered++
          counts.statements.push(`${at}(simple) ${cString(body, 0).text}`)
        }
      }
    },
    arrived(chunk: Buffer) {
      for (const { type } of arrivals(chunk)) {
        if (type === 'Z' && --pendingAtServer === 0) counts.databaseMs.push(performance.now() - sentAt)
      }
    },
    server(chunk: Buffer) {
      flushWaiting = false
      let data = chunk
      if (sslByte) {
        sslByte = false
        data = chunk.subarray(1)
      }
      for (const { type } of fromServer(data)) if (type === 'Z') unanswered--
    },
  }
}

function proxy(target: URL): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer((client: Socket) => {
      const upstream = connect(Number(target.port || 5432), target.hostname)
      const counter = connectionCounter()
      // The proxy itself adds no Nagle delays; the app's socket keeps its own settings.
      client.setNoDelay(true)
      upstream.setNoDelay(true)
      client.on('data', (chunk) => {
        counter.client(chunk)
        upstream.write(chunk)
      })
      // Answers arrive LATENCY_MS late, as from a database across a network: what the app sends before then is
      // pipelined, not a round trip of its own (without it, a statement the app was still building when the
      // answer to the one before came would count as one).
      upstream.on('data', (chunk) => {
        counter.arrived(chunk)
        setTimeout(() => {
          counter.server(chunk)
          client.write(chunk)
        }, LATENCY_MS)
      })
      client.on('close', () => upstream.destroy())
      upstream.on('close', () => client.destroy())
      client.on('error', () => upstream.destroy())
      upstream.on('error', () => client.destroy())
    })
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, port: (server.address() as { port: number }).port }),
    )
  })
}

async function caller(app: ServiceInstance) {
  const token = await signInternalContext(
    INTERNAL_SECRET,
    { tenantId: randomUUID(), scopes: [] },
    { audience: 'bom-triggers', ttlSeconds: 3600 },
  )
  return async (method: 'GET' | 'POST', url: string, payload?: object) => {
    const response = await app.inject({
      method,
      url,
      headers: { [INTERNAL_CONTEXT_HEADER]: token },
      ...(payload ? { payload } : {}),
    })
    if (response.statusCode >= 300)
      throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`)
    return response.json()
  }
}

const dbName = `gh_rt_${randomBytes(5).toString('hex')}`
const admin = await createDb({ url: serverUrl, max: 1 })
await admin.raw.exec(`create database ${dbName}`)
const dbUrl = new URL(serverUrl)
dbUrl.pathname = `/${dbName}`
const { server, port } = await proxy(dbUrl)
const proxied = new URL(dbUrl)
proxied.hostname = '127.0.0.1'
proxied.port = String(port)
// One connection, so a statement prepared once stays prepared, as on a warm pool.
const db = await createDb({ url: proxied.toString(), max: 1 })
let app: ServiceInstance | undefined
try {
  await migrateUp(db, { migrationsDir: `${serviceDir}/migrations`, service: 'bom-triggers' })
  const config = loadBomTriggersConfig({
    NODE_ENV: 'test',
    INTERNAL_SECRET,
    CRON_SECRET: randomBytes(32).toString('base64url'),
    WEBHOOK_SECRET_KEY: randomBytes(32).toString('base64url'),
    WEBHOOK_DELIVERY: 'false',
    LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '0',
  })
  app = buildApp({ config, db, logger: false })
  await app.ready()
  const tenantOf = async () => {
    const call = await caller(app!)
    const seeded = await call('GET', '/api/bom-triggers')
    for (const trigger of seeded.items as { id: string }[])
      await call('POST', `/api/bom-triggers/${trigger.id}/deactivate`)
    return call
  }
  const none = await tenantOf()
  const loaded = await tenantOf()
  for (const [i, sku] of BENCH_SKUS.entries())
    await loaded('POST', '/api/materials', { sku, name: `Bench ${i}`, unit: 'pcs', unitCost: `${i + 1}.25` })
  for (const trigger of benchTriggers()) await loaded('POST', '/api/bom-triggers', trigger)

  const cases = [
    { name: 'no triggers', call: none, type: 'LAN' },
    { name: '50, 0 match', call: loaded, type: 'FIBER' },
    { name: '50, 5 match', call: loaded, type: 'LAN' },
  ]
  const lines = [
    '| case | round trips | statements | parsed | trigger runs | CPU ms (app and proxy) |',
    '|---|---|---|---|---|---|',
  ]
  const shown: string[] = []
  for (const c of cases) {
    let runs = 0
    let cpuMs = 0
    const perCreation: Counts[] = []
    // The first creations prepare statements and compile conditions; the last one is what a warm server pays (the
    // CPU column averages all but the first two).
    for (let i = 0; i < REPEAT; i++) {
      reset()
      const cpu = process.cpuUsage()
      const body = await c.call('POST', '/api/tasks', { title: `Office ${c.type} ${i}`, type: c.type })
      const used = process.cpuUsage(cpu)
      if (i >= 2) cpuMs += (used.user + used.system) / 1000 / (REPEAT - 2)
      runs = body.triggerRuns.length
      perCreation.push({ ...counts, statements: [...counts.statements] })
    }
    const last = perCreation.at(-1)!
    lines.push(
      `| ${c.name} | ${last.roundTrips} | ${last.statements.length} | ${last.parses} | ${runs} | ${cpuMs.toFixed(2)} |`,
    )
    if (SHOW_SQL) {
      // Medians over the warm creations (all but the first two).
      const warm = perCreation.slice(2)
      const database = last.databaseMs
        .map((_, i) => {
          const sorted = warm.map((c) => c.databaseMs[i] ?? 0).sort((a, b) => a - b)
          return (sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(2)
        })
        .join(', ')
      shown.push(`-- ${c.name} (database per round trip, median: ${database} ms)`)
      shown.push(...last.statements.map((s) => `  ${s.slice(0, 200)}`))
    }
  }
  process.stdout.write(`${[...lines, ...shown].join('\n')}\n`)
} finally {
  await app?.close()
  await db.close()
  server.close()
  await admin.raw.exec(`drop database if exists ${dbName} with (force)`)
  await admin.close()
}
