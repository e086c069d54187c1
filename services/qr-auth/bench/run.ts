/**
 * `pnpm --filter qr-auth bench`: qr-auth and auth-api as two real servers (each src/server.ts in its own process,
 * as in production) on fresh PostgreSQL databases. Measured: create and poll throughput (autocannon), poll and
 * exchange latency per call (p50/p99 at concurrency 10), and, in the same run, the baseline an exchange is
 * judged against: auth-api's POST /internal/sessions called alone. Needs BENCH_DATABASE_URL or
 * TEST_DATABASE_URL (a server URL; two databases are created and dropped). BENCH_SECONDS (default 5) per
 * throughput case, BENCH_CALLS (default 1000) per latency case, BENCH_CPU_PROF=<dir> for a profile of qr-auth.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createDb } from '@gatehouse/db-kit'
import {
  INTERNAL_CONTEXT_HEADER,
  SERVICE_TOKEN_HEADER,
  signInternalContext,
  signServiceToken,
} from '@gatehouse/service-kit'
import {
  type BenchServer,
  benchServerUrl,
  cannon,
  cpuProfileArgs,
  inParallel as inParallelOf,
  latencies,
  percentile,
  requestsPerSecond,
  startBenchServer,
} from '@gatehouse/service-kit/bench'
import type autocannon from 'autocannon'
import { Pool } from 'undici'
import { addCpu, type CpuSample, cpuDuring } from './cpu.ts'

const CONCURRENCY = 10
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const CALLS = Number(process.env.BENCH_CALLS ?? 1000)
const USERS = 20
const PASSWORD = 'Correct-Horse-9-Battery'
const DESKTOP_UA = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/131.0'
const servicesDir = fileURLToPath(new URL('../..', import.meta.url))

const serverUrl = benchServerUrl(process.env)

/** fn(0) .. fn(count - 1) with `parallel` (by default CONCURRENCY) calls in flight; the results in order. */
const inParallel = <T>(count: number, fn: (index: number) => Promise<T>, parallel = CONCURRENCY) =>
  inParallelOf(count, fn, parallel)

const servers: BenchServer[] = []
const clients: Pool[] = []
const closing: Array<() => Promise<void>> = []
const internalSecret = randomBytes(32).toString('base64url')
// Outside production each server generates the secrets it needs (whatever auth-api adds) into this folder;
// only INTERNAL_SECRET, which the two share, is given.
const secretsDir = mkdtempSync(join(tmpdir(), 'qr-auth-bench-'))

async function startServer(
  service: 'qr-auth' | 'auth-api',
  databasePrefix: string,
  env: Record<string, string>,
): Promise<BenchServer> {
  const server = await startBenchServer({
    service,
    serviceDir: `${servicesDir}/${service}`,
    serverUrl,
    databasePrefix,
    // BENCH_CPU_PROF=<dir>: qr-auth's server writes a V8 CPU profile there when it stops.
    execArgv: service === 'qr-auth' ? cpuProfileArgs(process.env.BENCH_CPU_PROF) : [],
    healthTimeoutMs: 60_000,
    env: {
      NODE_ENV: 'development',
      // service-kit keeps the generated secrets beside DATA_DIR (its parent's secrets.json): one folder per
      // service, or the two servers write and read the same file (and one may read it half-written).
      DATA_DIR: join(secretsDir, service, 'data'),
      INTERNAL_SECRET: internalSecret,
      REDIS_URL: '',
      // Measured as they are, never answered 503 because the machine is busy.
      LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '0',
      ...env,
    },
  })
  servers.push(server)
  return server
}

try {
  const authServer = await startServer('auth-api', 'gh_bench_auth', {
    RATE_LIMIT_REGISTER_PER_IP: '1000000',
    RATE_LIMIT_LOGIN_PER_IP: '1000000',
  })
  const authBase = authServer.base
  const qrServer = await startServer('qr-auth', 'gh_bench_qr', { AUTH_API_URL: authBase })
  const qrBase = qrServer.base
  // Who to charge CPU to: the two servers and the PostgreSQL backends serving each one's database.
  const monitor = await createDb({ url: serverUrl, max: 1 })
  closing.push(() => monitor.close())
  const [qrDb, authDb] = [qrServer.databaseName, authServer.databaseName]
  const benchPids = async () => {
    const backends = await monitor.raw.query<{ pid: number; datname: string }>(
      'select pid, datname from pg_stat_activity where datname = any($1)',
      [[qrDb, authDb]],
    )
    const of = (name: string) => backends.filter((row) => row.datname === name).map((row) => row.pid)
    return {
      'qr-auth': qrServer.process.pid ? [qrServer.process.pid] : [],
      'auth-api': authServer.process.pid ? [authServer.process.pid] : [],
      'PostgreSQL for qr-auth': of(qrDb),
      'PostgreSQL for auth-api': of(authDb),
    }
  }
  const cpuOf: Record<string, Array<CpuSample | undefined>> = {}
  /** Per-call latencies of a phase, its CPU charged to `name`. */
  const measured = async (name: string, run: () => Promise<number[]>) => {
    const { result, cpu } = await cpuDuring(benchPids, run)
    cpuOf[name] = [...(cpuOf[name] ?? []), cpu]
    return result
  }

  const qr = new Pool(qrBase, { connections: CONCURRENCY })
  const auth = new Pool(authBase, { connections: CONCURRENCY })
  clients.push(qr, auth)
  const json = { 'content-type': 'application/json' }
  const send = async (pool: Pool, method: 'GET' | 'POST', path: string, headers = {}, body?: unknown) => {
    const response = await pool.request({
      method,
      path,
      headers: { ...(body === undefined ? {} : json), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await response.body.text()
    return { status: response.statusCode, body: text ? JSON.parse(text) : undefined }
  }
  const expectStatus = (what: string, status: number, expected: number) => {
    if (status !== expected) throw new Error(`${what}: ${status}, expected ${expected}`)
  }

  const userIds = await inParallel(USERS, async (i) => {
    const email = `bench-${i}-${randomBytes(3).toString('hex')}@example.com`
    const response = await send(
      auth,
      'POST',
      '/api/auth/register',
      {},
      {
        email,
        name: 'Bench',
        password: PASSWORD,
        confirmPassword: PASSWORD,
      },
    )
    expectStatus('register', response.status, 201)
    return response.body.user.id as string
  })

  interface Session {
    id: string
    pollToken: string
    code: string
  }
  const createOne = async (): Promise<Session> => {
    const response = await send(qr, 'POST', '/api/qr/sessions', { 'user-agent': DESKTOP_UA })
    expectStatus('create', response.status, 201)
    const { id, pollToken, qr: view } = response.body
    return { id, pollToken, code: new URL(view.payload).searchParams.get('code') ?? '' }
  }
  /** Scanned and approved by the phone, polled once: the desktop holds the exchange token. */
  const exchangeable = async (index: number) => {
    const session = await createOne()
    const userId = userIds[index % userIds.length] ?? ''
    const phone = {
      [INTERNAL_CONTEXT_HEADER]: await signInternalContext(
        internalSecret,
        { userId, scopes: [] },
        {
          audience: 'qr-auth',
        },
      ),
    }
    expectStatus(
      'scan',
      (await send(qr, 'POST', `/api/qr/sessions/${session.id}/scan`, phone, { code: session.code })).status,
      200,
    )
    expectStatus(
      'approve',
      (await send(qr, 'POST', `/api/qr/sessions/${session.id}/approve`, phone)).status,
      200,
    )
    const polled = await send(qr, 'GET', `/api/qr/sessions/${session.id}`, {
      'x-qr-poll-token': session.pollToken,
    })
    return { sessionId: session.id, exchangeToken: polled.body.exchangeToken as string }
  }

  // Warm-up: JIT, connection pools, prepared statements, signing keys.
  await inParallel(200, () => createOne())
  await inParallel(50, (i) => exchangeable(i).then((body) => send(qr, 'POST', '/api/qr/exchange', {}, body)))

  // Throughput (autocannon). The create run's sessions are each polled once by the poll run: a second poll
  // within the interval would be a slow_down.
  const created: Session[] = []
  const createRun = await cannon('create', {
    url: `${qrBase}/api/qr/sessions`,
    connections: CONCURRENCY,
    duration: SECONDS,
    requests: [
      {
        method: 'POST',
        headers: { 'user-agent': DESKTOP_UA },
        onResponse: (status: number, body: string) => {
          if (status !== 201) return
          const parsed = JSON.parse(body)
          created.push({ id: parsed.id, pollToken: parsed.pollToken, code: '' })
        },
      },
    ],
  })
  const toPoll = [...created]
  const pollRun = await cannon('poll', {
    url: qrBase,
    connections: CONCURRENCY,
    amount: toPoll.length,
    requests: [
      {
        method: 'GET',
        setupRequest: (request: autocannon.Request) => {
          const session = toPoll.pop()
          return {
            ...request,
            path: `/api/qr/sessions/${session?.id}`,
            headers: { 'x-qr-poll-token': session?.pollToken ?? '' },
          }
        },
      },
    ],
  })

  // Latency per call, one at a time and with CONCURRENCY in flight. Poll: fresh sessions, each polled once.
  // Exchange against the same-run baseline, in alternating halves so that both see the same machine.
  const latency: Record<string, number[]> = {}
  for (const parallel of [1, CONCURRENCY]) {
    const pollSessions = await inParallel(CALLS, () => createOne())
    latency[`poll, c=${parallel}`] = await latencies(CALLS, parallel, async (i) => {
      const session = pollSessions[i]
      const response = await send(qr, 'GET', `/api/qr/sessions/${session?.id}`, {
        'x-qr-poll-token': session?.pollToken,
      })
      expectStatus('poll', response.status, 200)
    })
    const exchangeBodies = await inParallel(CALLS, (i) => exchangeable(i))
    const exchanges: number[] = []
    const internals: number[] = []
    const half = Math.floor(CALLS / 2)
    for (const part of [0, 1]) {
      const serviceToken = await signServiceToken(internalSecret, { issuer: 'qr-auth', audience: 'auth-api' })
      internals.push(
        ...(await measured(`/internal/sessions alone, c=${parallel}`, () =>
          latencies(half, parallel, async (i) => {
            const response = await send(
              auth,
              'POST',
              '/internal/sessions',
              { [SERVICE_TOKEN_HEADER]: serviceToken },
              {
                userId: userIds[i % userIds.length],
                userAgent: DESKTOP_UA,
                ip: '127.0.0.1',
              },
            )
            expectStatus('internal sessions', response.status, 201)
          }),
        )),
      )
      exchanges.push(
        ...(await measured(`POST /api/qr/exchange, c=${parallel}`, () =>
          latencies(half, parallel, async (i) => {
            const body = exchangeBodies[part * half + i]
            const response = await send(qr, 'POST', '/api/qr/exchange', { 'user-agent': DESKTOP_UA }, body)
            expectStatus('exchange', response.status, 200)
          }),
        )),
      )
    }
    latency[`POST /api/qr/exchange, c=${parallel}`] = exchanges
    latency[`/internal/sessions alone, c=${parallel}`] = internals
  }

  const ms = (value: number) => `${value.toFixed(2)} ms`
  const row = (name: string, values: number[]) =>
    `| ${name.padEnd(32)} | ${ms(percentile(values, 50)).padStart(8)} | ${ms(percentile(values, 99)).padStart(8)} | ${String(values.length).padStart(5)} |`
  // What PostgreSQL itself costs here, one at a time: a round trip, and a durable one-row commit (the WAL
  // flush that create, scan, approve and the exchange's flip wait for; polls do not).
  const probe = qrServer.db
  await probe.raw.exec('create table bench_commit_probe (id bigserial primary key)')
  latency['PostgreSQL select 1, c=1'] = await latencies(CALLS, 1, () => probe.raw.exec('select 1'))
  latency['PostgreSQL durable commit, c=1'] = await latencies(CALLS, 1, () =>
    probe.raw.exec('insert into bench_commit_probe default values'),
  )

  const p50 = (name: string) => percentile(latency[name] ?? [], 50)
  const ratio = (parallel: number) =>
    (p50(`POST /api/qr/exchange, c=${parallel}`) / p50(`/internal/sessions alone, c=${parallel}`)).toFixed(2)
  const lines = [
    `qr-auth bench: PostgreSQL, Node ${process.version}, ${cpus().length} CPUs, load average at the end ${loadavg()[0]?.toFixed(1)}`,
    '',
    `| throughput (autocannon, c=${CONCURRENCY})    |   req/s | requests | p50 (whole ms) |`,
    '|----------------------------------|---------|----------|----------------|',
    `| POST /api/qr/sessions (create)   | ${requestsPerSecond(createRun).toFixed(0).padStart(7)} | ${String(createRun.requests.total).padStart(8)} | ${createRun.latency.p50} ms |`,
    `| GET /api/qr/sessions/:id (poll)  | ${requestsPerSecond(pollRun).toFixed(0).padStart(7)} | ${String(pollRun.requests.total).padStart(8)} | ${pollRun.latency.p50} ms |`,
    '',
    '| latency per call                 |      p50 |      p99 | calls |',
    '|----------------------------------|----------|----------|-------|',
    ...Object.entries(latency).map(([name, values]) => row(name, values)),
    '',
    `goals: poll p50 <= 2 ms -> ${ms(p50('poll, c=1'))} one at a time, ${ms(p50(`poll, c=${CONCURRENCY}`))} at c=${CONCURRENCY}`,
    `       exchange p50 / /internal/sessions p50 <= 1.5 -> ${ratio(1)} one at a time, ${ratio(CONCURRENCY)} at c=${CONCURRENCY}`,
  ]
  // Where the CPU went: if the machine was busy all along, latency at c=10 is the CPU a call needs from all
  // processes together, shared out over the 2 CPUs, and the c=10 ratio is the ratio of those sums.
  const groups = ['bench', 'qr-auth', 'PostgreSQL for qr-auth', 'auth-api', 'PostgreSQL for auth-api']
  const cpuRows = Object.entries(cpuOf).flatMap(([name, samples]) => {
    const sum = addCpu(samples)
    const calls = latency[name]?.length ?? 0
    if (!sum || calls === 0) return []
    const perCall = (value: number) => (value / calls).toFixed(2).padStart(5)
    const counted = groups.reduce((total, group) => total + (sum.ms[group] ?? 0), 0)
    const busy = `${((100 * sum.machineBusyMs) / sum.machineTotalMs).toFixed(0)}%`
    const cells = [
      ...groups.map((group) => perCall(sum.ms[group] ?? 0)),
      perCall(counted),
      perCall(sum.machineBusyMs - counted),
      busy,
    ]
    return [{ name, counted: counted / calls, cells }]
  })
  if (cpuRows.length > 0) {
    const perCallOf = (name: string) => cpuRows.find((row) => row.name === name)?.counted ?? Number.NaN
    const cpuRatio = (parallel: number) =>
      (
        perCallOf(`POST /api/qr/exchange, c=${parallel}`) /
        perCallOf(`/internal/sessions alone, c=${parallel}`)
      ).toFixed(2)
    const header = [...groups, 'all of these', 'rest of the machine', 'machine busy']
    lines.push(
      '',
      `| CPU ms per call (/proc)          | ${header.join(' | ')} |`,
      `|----------------------------------|${header.map((cell) => '-'.repeat(cell.length + 2)).join('|')}|`,
      ...cpuRows.map(({ name, cells }) => `| ${name.padEnd(32)} | ${cells.join(' | ')} |`),
      '',
      `CPU per exchange / CPU per /internal/sessions call: ${cpuRatio(1)} one at a time, ${cpuRatio(CONCURRENCY)} at c=${CONCURRENCY}`,
    )
  }
  process.stdout.write(`${lines.join('\n')}\n`)
} finally {
  await Promise.all([...clients.map((client) => client.close()), ...closing.map((close) => close())])
  await Promise.all(servers.map((server) => server.close()))
  rmSync(secretsDir, { recursive: true, force: true })
}
