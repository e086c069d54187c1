import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import type { TestDb } from '@gatehouse/db-kit/testing'
import { count, eq, inArray, isNotNull, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiKeys, clients } from '../src/db/schema/index.ts'
import { keyHasherOf } from '../src/keys/api-keys.ts'
import { MIGRATED_KEY_NAME } from '../src/keys/legacy-backfill.ts'
import { runBackfillCommand } from '../src/operators/backfill-command.ts'
import { type EchoUpstream, gateway, openTestDb, PEPPER, startEchoUpstream } from './fixtures.ts'

let db: TestDb
let bom: EchoUpstream
const legacy = new Map<string, string>()
const config = { API_KEY_PEPPER: PEPPER }

beforeAll(async () => {
  db = await openTestDb()
  bom = await startEchoUpstream('bom-triggers')
})

afterAll(async () => {
  await bom?.close()
  await db?.close()
})

/** Seed 004's legacy shape: clients with a raw api_key. */
async function insertLegacyClients(n: number, prefix: string): Promise<string[]> {
  const rows = Array.from({ length: n }, (_, i) => ({
    name: `${prefix}-${i}`,
    apiKey: `sk_live_${randomBytes(16).toString('hex')}`,
    createdAt: new Date(Date.UTC(2021, 0, 1) + i * 60_000),
  }))
  const ids: string[] = []
  for (let i = 0; i < rows.length; i += 250) {
    const inserted = await db.db
      .insert(clients)
      .values(rows.slice(i, i + 250))
      .returning({ id: clients.id, apiKey: clients.apiKey })
    for (const row of inserted) {
      legacy.set(row.id, row.apiKey!)
      ids.push(row.id)
    }
  }
  return ids
}

async function run(argv: string[]) {
  const lines: string[] = []
  let progress = ''
  const code = await runBackfillCommand(argv, {
    db,
    config,
    out: {
      log: (line) => lines.push(line),
      progress: new Writable({
        write(chunk, _encoding, done) {
          progress += chunk.toString()
          done()
        },
      }),
    },
  })
  return { code, output: lines.join('\n'), progress }
}

const rawLeft = async () =>
  (await db.db.select({ n: count() }).from(clients).where(isNotNull(clients.apiKey)))[0]!.n
const keyRows = async () => (await db.db.select({ n: count() }).from(apiKeys))[0]!.n

function expectNoRawKey(text: string) {
  for (const key of legacy.values()) expect(text.includes(key)).toBe(false)
}

describe('backfill:legacy-keys (seed 004 step 3)', () => {
  it('migrates 1,000 legacy keys; dry run first writes nothing; a re-run is a no-op', async () => {
    const ids = await insertLegacyClients(1_000, 'legacy')

    const dry = await run(['--dry-run'])
    expect(dry.code).toBe(0)
    expect(dry.output).toContain('[dry run] 1000 clients with a legacy key: would migrate 1000, failed 0')
    expect(await rawLeft()).toBe(1_000)
    expect(await keyRows()).toBe(0)

    const real = await run([])
    expect(real.code).toBe(0)
    expect(real.output).toContain('1000 clients with a legacy key: migrated 1000, failed 0')
    expect(real.progress).toMatch(/1000\/1000 clients \| migrated 1000 \| failed 0 \| \d+\/s/)
    expectNoRawKey(real.output + real.progress + dry.output + dry.progress)
    expect(await rawLeft()).toBe(0)

    const migrated = await db.db
      .select({
        name: apiKeys.name,
        keyCreated: apiKeys.createdAt,
        clientCreated: clients.createdAt,
        a: apiKeys.apiKeyHash,
        c: clients.apiKeyHash,
      })
      .from(apiKeys)
      .innerJoin(clients, eq(clients.id, apiKeys.clientId))
      .where(inArray(apiKeys.clientId, ids))
    expect(migrated).toHaveLength(1_000)
    for (const row of migrated) {
      expect(row.name).toBe(MIGRATED_KEY_NAME)
      expect(row.keyCreated.getTime()).toBe(row.clientCreated.getTime())
      expect(row.a).toBe(row.c)
    }

    const again = await run([])
    expect(again.code).toBe(0)
    expect(again.output).toContain('0 clients with a legacy key: migrated 0, failed 0')
    expect(await keyRows()).toBe(1_000)
  })

  it('lets migrated keys authenticate through the gateway, unless legacy keys are switched off', async () => {
    const [id] = await insertLegacyClients(1, 'gateway')
    expect((await run([])).code).toBe(0)
    const key = legacy.get(id!)!
    const app = await gateway({ db, config: { BOM_TRIGGERS_URL: bom.url } })
    const response = await app.inject({
      method: 'GET',
      url: '/api/tasks',
      headers: { authorization: `Bearer ${key}` },
    })
    expect(response.statusCode).toBe(200)
    const verify = await app.inject({ method: 'POST', url: '/api/keys/verify', payload: { key } })
    expect(verify.json()).toMatchObject({ valid: true, tenantId: id })
    await app.close()

    const strict = await gateway({ db, config: { LEGACY_API_KEYS: 'false' } })
    const refused = await strict.inject({ method: 'GET', url: '/api/tasks', headers: { 'x-api-key': key } })
    expect(refused.json()).toMatchObject({ status: 401, reason: 'MALFORMED' })
    await strict.close()
  })

  it('resumes after a crash between insert and nulling, without duplicates', async () => {
    const ids = await insertLegacyClients(10, 'resume')
    // As if a previous run died after inserting the first five hashes.
    const hasher = keyHasherOf(config)
    await db.db.insert(apiKeys).values(
      ids.slice(0, 5).map((clientId) => {
        const { hash, pepperVersion } = hasher.hash(legacy.get(clientId)!)
        return { clientId, name: MIGRATED_KEY_NAME, keyPrefix: 'sk_l…', apiKeyHash: hash, pepperVersion }
      }),
    )
    const result = await run(['--batch-size', '3'])
    expect(result.code).toBe(0)
    expect(result.output).toContain('10 clients with a legacy key: migrated 10, failed 0')
    const rows = await db.db
      .select({ clientId: apiKeys.clientId, n: sql<number>`count(*)`.mapWith(Number) })
      .from(apiKeys)
      .where(inArray(apiKeys.clientId, ids))
      .groupBy(apiKeys.clientId)
    expect(rows).toHaveLength(10)
    expect(rows.every((row) => row.n === 1)).toBe(true)
  })

  it('leaves a value that can never verify in place and says which client it is', async () => {
    const [bad] = await db.db
      .insert(clients)
      .values({ name: 'typo', apiKey: 'short' })
      .returning({ id: clients.id })
    const result = await run([])
    expect(result.code).toBe(2)
    expect(result.output).toContain('failed 1')
    expect(result.output).toContain(bad!.id)
    expect(result.output).not.toContain('short')
    const [row] = await db.db.select({ apiKey: clients.apiKey }).from(clients).where(eq(clients.id, bad!.id))
    expect(row!.apiKey).toBe('short')
  })
})
