import { appendFile, cp, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeEach, expect, it } from 'vitest'
import { createDb, resolveServiceDatabase, runMigrationCli } from '../src/index.ts'
import { createTestDb, type TestDb } from '../src/testing.ts'
import { fixture, historyTags, removeTempDirs, tempDir } from './helpers.ts'

let servicesDir: string
let env: NodeJS.ProcessEnv
let testDb: TestDb | undefined

// One PostgreSQL database shared through DATABASE_URL when TEST_DATABASE_URL is set; else each service gets
// the embedded PGlite under GATEHOUSE_DATA_DIR, as on a developer machine.
beforeEach(async () => {
  servicesDir = await tempDir()
  await cp(fixture('basic'), join(servicesDir, 'svc-a', 'migrations'), { recursive: true })
  await cp(fixture('broken'), join(servicesDir, 'svc-broken', 'migrations'), { recursive: true })
  await mkdir(join(servicesDir, 'svc-empty'))
  if (process.env.TEST_DATABASE_URL) {
    testDb = await createTestDb({})
    env = { GATEHOUSE_SERVICES_DIR: servicesDir, DATABASE_URL: testDb.url }
  } else {
    env = { GATEHOUSE_SERVICES_DIR: servicesDir, GATEHOUSE_DATA_DIR: await tempDir() }
  }
})
afterEach(async () => testDb?.close())
afterAll(removeTempDirs)

async function cli(...argv: string[]) {
  const out: string[] = []
  const err: string[] = []
  const code = await runMigrationCli(argv, env, { log: (l) => out.push(l), error: (l) => err.push(l) })
  return { code, out: out.join('\n'), err: err.join('\n') }
}

async function appliedTags(service: string): Promise<string[]> {
  const handle = await createDb(resolveServiceDatabase(service, env))
  try {
    return await historyTags(handle.raw, service)
  } finally {
    await handle.close()
  }
}

it('status, up, verify and status again on one service', async () => {
  const before = await cli('status', '--service', 'svc-a')
  expect(before.code).toBe(0)
  expect(before.out).toContain(testDb ? 'svc-a (PostgreSQL from DATABASE_URL)' : 'svc-a (embedded PGlite at')
  expect(before.out).toMatch(/0000_init\s+pending/)
  if (!testDb) expect(before.out).toContain('the embedded database does not exist yet')

  const up = await cli('up', '--filter', '@gatehouse/svc-a')
  expect(up.code).toBe(0)
  expect(up.out).toMatch(/applied 0000_init \(\d+ ms\)/)
  expect(up.out).toMatch(/applied 0002_add_nickname \(\d+ ms\)/)
  expect(await appliedTags('svc-a')).toEqual(['0000_init', '0001_touch_function', '0002_add_nickname'])

  expect(await cli('up', '--service=svc-a')).toMatchObject({
    code: 0,
    out: expect.stringContaining('up to date'),
  })
  expect(await cli('verify', '--service', 'svc-a')).toMatchObject({
    code: 0,
    out: expect.stringContaining('  ok'),
  })
  const after = await cli('status', '--service', 'svc-a')
  expect(after.out).toMatch(/0002_add_nickname\s+applied\s+\d{4}-\d\d-\d\dT/)
})

it('down n and dry runs', async () => {
  await cli('up', '--service', 'svc-a')
  const dry = await cli('down', '2', '--dry-run', '--service', 'svc-a')
  expect(dry.out).toContain('DROP FUNCTION touch_updated_at();')
  expect(await appliedTags('svc-a')).toHaveLength(3)

  const down = await cli('down', '2', '--service', 'svc-a')
  expect(down.code).toBe(0)
  expect(down.out).toMatch(/reverted 0002_add_nickname \(\d+ ms\)\n\s+reverted 0001_touch_function/)
  expect(await appliedTags('svc-a')).toEqual(['0000_init'])
})

it('prints a failed migration as one readable block and exits 1', async () => {
  const { code, err } = await cli('up', '--service', 'svc-broken')
  expect(code).toBe(1)
  expect(err).toContain('svc-broken: migration failed')
  expect(err).toContain('file:      0001_broken.sql')
  expect(err).toContain('statement: INSERT INTO "no_such_table" VALUES (1);')
  expect(err).toMatch(/postgres: {2}42P01 relation "no_such_table" does not exist/)
  expect(err).not.toMatch(/\n\s+at /)
  expect(await appliedTags('svc-broken')).toEqual(['0000_init'])
})

it('verify exits 1 on a changed file; with no service it walks every service folder', async () => {
  await cli('up', '--service', 'svc-a')
  await appendFile(join(servicesDir, 'svc-a', 'migrations', '0001_touch_function.sql'), '\n-- edited\n')
  const verify = await cli('verify')
  expect(verify.code).toBe(1)
  expect(verify.out).toContain('0001_touch_function: file changed since it was applied')
  expect(verify.out).toContain('svc-empty: no migrations, skipped')
  const up = await cli('up', '--service', 'svc-a')
  expect(up.code).toBe(1)
  expect(up.err).toContain('refusing to migrate svc-a')
})

it('rejects unknown arguments and services', async () => {
  expect(await cli('sideways')).toMatchObject({
    code: 1,
    err: expect.stringContaining('unexpected argument: sideways'),
  })
  expect(await cli('status', '--service', 'nope')).toMatchObject({
    code: 1,
    err: expect.stringContaining('unknown service'),
  })
})
