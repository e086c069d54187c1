import { appendFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MigrationError, migrateDown, migrateUp, migrationStatus, verifyMigrations } from '../src/index.ts'
import { createTestDb, type TestDb } from '../src/testing.ts'
import {
  ALL_BASIC,
  copyFixture,
  fixture,
  historyTags,
  removeTempDirs,
  schemaSnapshot,
  writeBasicJournal,
} from './helpers.ts'

const service = 'fixture'
let db: TestDb

beforeEach(async () => {
  db = await createTestDb({})
})
afterEach(async () => db.close())
afterAll(removeTempDirs)

describe('migrateUp / migrateDown', () => {
  it('up, down all, up again yields the same schema', async () => {
    const migrationsDir = fixture('basic')
    const empty = await schemaSnapshot(db.raw)

    expect(await migrateUp(db, { migrationsDir, service })).toEqual({ applied: ALL_BASIC })
    const migrated = await schemaSnapshot(db.raw)
    expect(migrated.columns.map((c) => c.column_name)).toEqual(['created_at', 'email', 'id', 'nickname'])
    expect(migrated.indexes).toHaveLength(3)
    expect(migrated.functions.map((f) => f.proname)).toEqual(['touch_updated_at'])

    expect(await migrateDown(db, { migrationsDir, service, steps: 3 })).toEqual({
      reverted: [...ALL_BASIC].reverse(),
    })
    expect(await schemaSnapshot(db.raw)).toEqual(empty)
    expect(await historyTags(db.raw, service)).toEqual([])

    expect(await migrateUp(db, { migrationsDir, service })).toEqual({ applied: ALL_BASIC })
    expect(await schemaSnapshot(db.raw)).toEqual(migrated)
  })

  it('down reverts one migration by default, and up is a no-op when nothing is pending', async () => {
    const migrationsDir = fixture('basic')
    await migrateUp(db, { migrationsDir, service })
    expect(await migrateUp(db, { migrationsDir, service })).toEqual({ applied: [] })
    expect(await migrateDown(db, { migrationsDir, service })).toEqual({ reverted: ['0002_add_nickname'] })
    expect(await historyTags(db.raw, service)).toEqual(['0000_init', '0001_touch_function'])
  })

  it('applies a pending migration that is older than an applied one', async () => {
    const migrationsDir = await copyFixture('basic')
    await writeBasicJournal(migrationsDir, ['0000_init', '0002_add_nickname'])
    expect(await migrateUp(db, { migrationsDir, service })).toEqual({
      applied: ['0000_init', '0002_add_nickname'],
    })

    await writeBasicJournal(migrationsDir, ALL_BASIC)
    const states = await migrationStatus(db, { migrationsDir, service })
    expect(states.map((s) => [s.tag, s.state])).toEqual([
      ['0000_init', 'applied'],
      ['0001_touch_function', 'pending'],
      ['0002_add_nickname', 'applied'],
    ])
    expect(await migrateUp(db, { migrationsDir, service })).toEqual({ applied: ['0001_touch_function'] })
  })

  it('rolls back a broken migration entirely and names file, statement and Postgres code', async () => {
    const migrationsDir = fixture('broken')
    const error = await migrateUp(db, { migrationsDir, service }).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(MigrationError)
    expect(error).toMatchObject({
      file: '0001_broken.sql',
      statement: 'INSERT INTO "no_such_table" VALUES (1);',
      pgCode: '42P01',
    })
    expect((error as MigrationError).pgMessage).toContain('no_such_table')
    const [tables] = await db.raw.query(
      `select to_regclass('public.accounts') is not null as accounts, to_regclass('public.half_done') is not null as half_done`,
    )
    expect(tables).toEqual({ accounts: true, half_done: false })
    expect(await historyTags(db.raw, service)).toEqual(['0000_init'])
  })

  it('down refuses, changing nothing, when a down file is missing', async () => {
    const migrationsDir = await copyFixture('basic')
    await migrateUp(db, { migrationsDir, service })
    await rm(join(migrationsDir, '0001_touch_function.down.sql'))
    const before = await schemaSnapshot(db.raw)

    const refused = migrateDown(db, { migrationsDir, service, steps: 2 })
    await expect(refused).rejects.toThrow(MigrationError)
    await expect(refused).rejects.toThrow('missing 0001_touch_function.down.sql')
    expect(await schemaSnapshot(db.raw)).toEqual(before)
    expect(await historyTags(db.raw, service)).toEqual(ALL_BASIC)
  })

  it('dry run prints the SQL and applies nothing, not even the history table', async () => {
    const migrationsDir = fixture('basic')
    const lines: string[] = []
    const log = (line: string) => lines.push(line)

    expect(await migrateUp(db, { migrationsDir, service, dryRun: true, log })).toEqual({ applied: [] })
    expect(lines).toContain('-- 0000_init.sql (dry run, not applied)')
    expect(lines).toContain('CREATE UNIQUE INDEX "users_email_idx" ON "users" USING btree ("email");')
    const [tables] = await db.raw.query(
      `select to_regclass('public.users') is not null as users, to_regclass('public.gatehouse_migrations') is not null as history`,
    )
    expect(tables).toEqual({ users: false, history: false })

    await migrateUp(db, { migrationsDir, service })
    lines.length = 0
    expect(await migrateDown(db, { migrationsDir, service, steps: 3, dryRun: true, log })).toEqual({
      reverted: [],
    })
    expect(lines).toContain('DROP TABLE "users";')
    expect(await historyTags(db.raw, service)).toEqual(ALL_BASIC)
  })

  it('keeps the history of services sharing one database apart', async () => {
    await migrateUp(db, { migrationsDir: fixture('basic'), service: 'one' })
    // Same tag 0000_init, other service: it runs, and neither history looks tampered with.
    await expect(migrateUp(db, { migrationsDir: fixture('broken'), service: 'two' })).rejects.toThrow(
      MigrationError,
    )
    expect(await historyTags(db.raw, 'two')).toEqual(['0000_init'])
    expect(await verifyMigrations(db, { migrationsDir: fixture('basic'), service: 'one' })).toEqual({
      ok: true,
      problems: [],
    })
  })
})

describe('verify', () => {
  it('fails, and up refuses, when an applied file changed', async () => {
    const migrationsDir = await copyFixture('basic')
    await writeBasicJournal(migrationsDir, ['0000_init', '0001_touch_function'])
    await migrateUp(db, { migrationsDir, service })
    await writeBasicJournal(migrationsDir, ALL_BASIC)
    await appendFile(join(migrationsDir, '0000_init.sql'), '\n-- edited after it was applied\n')

    expect(await verifyMigrations(db, { migrationsDir, service })).toEqual({
      ok: false,
      problems: ['0000_init: file changed since it was applied'],
    })
    await expect(migrateUp(db, { migrationsDir, service })).rejects.toThrow('0000_init: file changed')
    expect(await historyTags(db.raw, service)).toEqual(['0000_init', '0001_touch_function'])
    const states = await migrationStatus(db, { migrationsDir, service })
    expect(states[0]).toMatchObject({ tag: '0000_init', state: 'applied', checksumOk: false })
  })

  it('fails when the database has a migration the folder lacks', async () => {
    const migrationsDir = await copyFixture('basic')
    await migrateUp(db, { migrationsDir, service })
    await writeBasicJournal(migrationsDir, ['0000_init', '0001_touch_function'])
    await rm(join(migrationsDir, '0002_add_nickname.sql'))

    expect(await verifyMigrations(db, { migrationsDir, service })).toEqual({
      ok: false,
      problems: ['0002_add_nickname: applied to the database but missing from the migrations folder'],
    })
    const states = await migrationStatus(db, { migrationsDir, service })
    expect(states.at(-1)).toMatchObject({ tag: '0002_add_nickname', state: 'missing-file' })
    expect(states.at(-1)?.appliedAt).toBeInstanceOf(Date)
    await expect(migrateUp(db, { migrationsDir, service })).rejects.toThrow(MigrationError)
  })

  it('passes on a fresh database and after up', async () => {
    const migrationsDir = fixture('basic')
    expect(await verifyMigrations(db, { migrationsDir, service })).toEqual({ ok: true, problems: [] })
    await migrateUp(db, { migrationsDir, service })
    expect(await verifyMigrations(db, { migrationsDir, service })).toEqual({ ok: true, problems: [] })
  })
})
