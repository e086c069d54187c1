/**
 * `pnpm --filter auth-api bench`: login, refresh, me and logout under autocannon at concurrency 10 against the real
 * server (src/server.ts in its own process) on a fresh PostgreSQL database, plus bare argon2 verification as the
 * baseline login is measured against. Needs BENCH_DATABASE_URL or TEST_DATABASE_URL (a server URL; a database
 * is created and dropped). BENCH_DURATION_S sets the length of the timed runs (health, me; default 5 and 8 s);
 * login, refresh and logout run a fixed number of requests.
 */
import { randomBytes } from 'node:crypto'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { hashPassword, verifyPassword } from '@gatehouse/crypto'
import {
  type BenchServer,
  benchServerUrl,
  cpuProfileArgs,
  latencies,
  percentile,
  requestsPerSecond,
  cannon as run,
  startBenchServer,
} from '@gatehouse/service-kit/bench'
import type autocannon from 'autocannon'
import { SMTPServer } from 'smtp-server'
import { openSession } from '../src/sessions.ts'

const CONCURRENCY = 10
const DURATION_S = process.env.BENCH_DURATION_S ? Number(process.env.BENCH_DURATION_S) : undefined
const PASSWORD = 'correct horse battery staple'
const serviceDir = fileURLToPath(new URL('..', import.meta.url))
const serverUrl = benchServerUrl(process.env)

interface Figures {
  name: string
  p50: number
  p99: number
  mean: number
  rps: number
  requests: number
}

async function cannon(name: string, options: autocannon.Options, expectStatus: number): Promise<Figures> {
  const result = await run(name, { connections: CONCURRENCY, ...options }, expectStatus)
  return {
    name,
    p50: result.latency.p50,
    p99: result.latency.p99,
    mean: result.latency.mean,
    rps: requestsPerSecond(result),
    requests: result.requests.total,
  }
}

// Production needs SMTP: a sink on loopback takes the verification mails of the sign-ups below.
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData: (stream, _session, done) => stream.on('end', () => done()).resume(),
})
await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve))
let server: BenchServer | undefined
try {
  server = await startBenchServer({
    service: 'auth-api',
    serviceDir,
    serverUrl,
    dbMax: 10,
    // BENCH_CPU_PROF=<dir>: the server writes a V8 CPU profile there when it stops.
    execArgv: cpuProfileArgs(process.env.BENCH_CPU_PROF),
    env: {
      INTERNAL_SECRET: randomBytes(32).toString('base64url'),
      CRON_SECRET: randomBytes(32).toString('base64url'),
      TWO_FACTOR_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
      COOKIE_SECRET: randomBytes(32).toString('base64url'),
      SMTP_URL: `smtp://127.0.0.1:${(smtp.server.address() as { port: number }).port}`,
      RATE_LIMIT_LOGIN_PER_IP: '1000000000',
      RATE_LIMIT_LOGIN_PER_ACCOUNT: '1000000000',
      REDIS_URL: '',
    },
  })
  const { base, db } = server

  const json = { 'content-type': 'application/json' }
  const email = `bench-${randomBytes(4).toString('hex')}@example.com`
  const registered = await fetch(`${base}/api/auth/register`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ email, name: 'Bench', password: PASSWORD, confirmPassword: PASSWORD }),
  }).then((response) => response.json() as Promise<{ accessToken: string }>)

  // Every refresh and logout needs a token of its own: sessions opened directly (no argon2), spread over users
  // as in real traffic.
  const passwordHash = await hashPassword(PASSWORD)
  const userIds: string[] = []
  for (let i = 0; i < 50; i++) {
    const [row] = await db.raw.query<{ id: string }>(
      'insert into users (email, name, password_hash) values ($1, $2, $3) returning id',
      [`bench-${i}-${randomBytes(4).toString('hex')}@example.com`, 'Bench', passwordHash],
    )
    userIds.push(row!.id)
  }
  const tokensFor = async (count: number): Promise<string[]> => {
    const tokens: string[] = []
    for (let i = 0; i < count; i += 20) {
      const batch = Array.from({ length: Math.min(20, count - i) }, (_, j) =>
        openSession(db.db, {
          userId: userIds[(i + j) % userIds.length]!,
          client: { ip: '127.0.0.1' },
          now: new Date(),
          ttlSeconds: 3600,
          audit: { event: 'LOGIN_SUCCESS', details: { method: 'bench' } },
        }),
      )
      for (const session of await Promise.all(batch)) tokens.push(session.refreshToken)
    }
    return tokens
  }
  const refreshTokens = await tokensFor(4000)
  const logoutTokens = await tokensFor(4000)
  await db.raw.exec('analyze')
  const withToken = (tokens: string[]) => (request: autocannon.Request) => ({
    ...request,
    body: JSON.stringify({ refreshToken: tokens.pop() }),
  })

  // Warm-up: JIT, connection pool, signing key cache.
  await cannon(
    'warm-up',
    {
      url: `${base}/api/auth/me`,
      headers: { authorization: `Bearer ${registered.accessToken}` },
      duration: 2,
    },
    200,
  )

  const results: Figures[] = []
  // The ceiling on this machine: the same server answering without any database or crypto work.
  results.push(await cannon('health (no db)', { url: `${base}/health`, duration: DURATION_S ?? 5 }, 200))
  const loginRequest = {
    method: 'POST' as const,
    headers: json,
    body: JSON.stringify({ email, password: PASSWORD }),
  }
  results.push(await cannon('login', { url: `${base}/api/auth/login`, ...loginRequest, amount: 1000 }, 200))
  results.push(
    await cannon(
      'login (c=1)',
      { url: `${base}/api/auth/login`, ...loginRequest, amount: 200, connections: 1 },
      200,
    ),
  )
  results.push(
    await cannon(
      'refresh',
      {
        url: `${base}/api/auth/refresh`,
        amount: refreshTokens.length,
        requests: [{ method: 'POST', headers: json, setupRequest: withToken(refreshTokens) }],
      },
      200,
    ),
  )
  results.push(
    await cannon(
      'me',
      {
        url: `${base}/api/auth/me`,
        headers: { authorization: `Bearer ${registered.accessToken}` },
        duration: DURATION_S ?? 8,
      },
      200,
    ),
  )
  results.push(
    await cannon(
      'logout',
      {
        url: `${base}/api/auth/logout`,
        amount: logoutTokens.length,
        requests: [{ method: 'POST', headers: json, setupRequest: withToken(logoutTokens) }],
      },
      204,
    ),
  )

  // Baselines, measured while the server is idle: argon2 with the server's parameters, and what PostgreSQL
  // itself costs here for one round trip and for one durable commit (the WAL flush every write endpoint waits for).
  const verify = async () => {
    if (!(await verifyPassword(passwordHash, PASSWORD))) throw new Error('argon2 baseline failed')
  }
  await latencies(10, 1, verify)
  const argonAlone = percentile(await latencies(200, 1, verify), 50)
  const argonLoaded = percentile(await latencies(1000, CONCURRENCY, verify), 50)
  await db.raw.exec(
    'create table bench_commit_probe (id bigserial primary key, at timestamptz default now())',
  )
  const roundTrip = percentile(await latencies(4000, CONCURRENCY, () => db.raw.exec('select 1')), 50)
  const commit = percentile(
    await latencies(4000, CONCURRENCY, () => db.raw.exec('insert into bench_commit_probe default values')),
    50,
  )

  const row = (f: Figures) =>
    `| ${f.name.padEnd(14)} | ${String(f.p50).padStart(4)} ms | ${String(f.p99).padStart(4)} ms | ${f.mean.toFixed(2).padStart(7)} ms | ${f.rps.toFixed(0).padStart(6)} | ${String(f.requests).padStart(6)} |`
  const login = results.find((f) => f.name === 'login')!
  const loginSolo = results.find((f) => f.name === 'login (c=1)')!
  const lines = [
    `auth-api bench: concurrency ${CONCURRENCY} (unless noted), PostgreSQL, Node ${process.version}, ${cpus().length} CPUs, load average at the end ${loadavg()[0]!.toFixed(1)}`,
    '',
    '| endpoint       |   p50   |   p99   |    mean    |  req/s | requests |',
    '|----------------|---------|---------|------------|--------|----------|',
    ...results.map(row),
    '',
    `argon2id verify alone (m=19456, t=2, p=1): p50 ${argonAlone.toFixed(1)} ms one at a time, ${argonLoaded.toFixed(1)} ms with ${CONCURRENCY} in flight`,
    `login p50 / argon2 p50: ${(login.p50 / argonLoaded).toFixed(2)} at concurrency ${CONCURRENCY}, ${(loginSolo.p50 / argonAlone).toFixed(2)} one at a time (goal <= 1.25)`,
    `PostgreSQL alone at concurrency ${CONCURRENCY}: round trip p50 ${roundTrip.toFixed(2)} ms, durable one-row commit p50 ${commit.toFixed(2)} ms`,
    `goals: refresh p50 <= 5 ms -> ${results.find((f) => f.name === 'refresh')!.p50} ms; logout p50 <= 3 ms -> ${results.find((f) => f.name === 'logout')!.p50} ms`,
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
} finally {
  await server?.close()
  smtp.close()
}
