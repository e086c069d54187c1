import type { DbHandle } from './db.ts'
import {
  type AppliedMigration,
  deleteApplied,
  ensureHistoryTable,
  readHistory,
  recordApplied,
} from './history.ts'
import { downFile, type Migration, readDown, readMigrations } from './journal.ts'
import { withMigrationLock } from './lock.ts'
import { MigrationError } from './migration-error.ts'
import type { RawSql } from './raw-sql.ts'

export interface MigrationOptions {
  migrationsDir: string
  /** Names the history rows and the advisory lock. */
  service: string
  /** Log the SQL that would run; apply nothing, write no history. */
  dryRun?: boolean
  log?: (line: string) => void
}

export interface MigrationState {
  tag: string
  state: 'applied' | 'pending' | 'missing-file'
  appliedAt?: Date
  /** Only for applied migrations: false when the file changed since it was applied. */
  checksumOk?: boolean
}

const silent = () => {}

export async function migrateUp(handle: DbHandle, opts: MigrationOptions): Promise<{ applied: string[] }> {
  const log = opts.log ?? silent
  return withMigrationLock(handle, opts.service, log, async (conn) => {
    const { migrations, history } = await loadVerified(conn, opts)
    const done = new Set(history.map((row) => row.tag))
    // Every unapplied entry runs, even one older than the newest applied (drizzle skips those: #1221, #5769).
    const pending = migrations.filter((migration) => !done.has(migration.tag))
    if (opts.dryRun) {
      for (const migration of pending) logDryRun(log, migration.file, migration.statements)
      return { applied: [] }
    }
    await ensureHistoryTable(conn)
    const applied: string[] = []
    for (const migration of pending) {
      const started = performance.now()
      await conn.transaction(async (tx) => {
        await runStatements(tx, migration.file, migration.statements)
        await recordApplied(tx, opts.service, migration, Math.round(performance.now() - started))
      })
      log(`applied ${migration.tag} (${elapsed(started)})`)
      applied.push(migration.tag)
    }
    return { applied }
  })
}

export async function migrateDown(
  handle: DbHandle,
  opts: MigrationOptions & { steps?: number },
): Promise<{ reverted: string[] }> {
  const log = opts.log ?? silent
  const steps = opts.steps ?? 1
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`steps must be a positive integer, got ${steps}`)
  return withMigrationLock(handle, opts.service, log, async (conn) => {
    const { migrations, history } = await loadVerified(conn, opts)
    const done = new Set(history.map((row) => row.tag))
    const targets = migrations
      .filter((migration) => done.has(migration.tag))
      .reverse()
      .slice(0, steps)
    const downs = await Promise.all(
      targets.map(async ({ tag }) => ({
        tag,
        file: downFile(tag),
        statements: await readDown(opts.migrationsDir, tag),
      })),
    )
    const missing = downs.filter((down) => !down.statements).map((down) => down.file)
    if (missing[0]) {
      throw new MigrationError(`cannot revert, nothing changed: missing ${missing.join(', ')}`, {
        file: missing[0],
      })
    }
    const reverted: string[] = []
    for (const { tag, file, statements = [] } of downs) {
      if (opts.dryRun) {
        logDryRun(log, file, statements)
        continue
      }
      const started = performance.now()
      await conn.transaction(async (tx) => {
        await runStatements(tx, file, statements)
        await deleteApplied(tx, opts.service, tag)
      })
      log(`reverted ${tag} (${elapsed(started)})`)
      reverted.push(tag)
    }
    return { reverted }
  })
}

export async function migrationStatus(handle: DbHandle, opts: MigrationOptions): Promise<MigrationState[]> {
  const { migrations, history } = await load(handle.raw, opts)
  const applied = new Map(history.map((row) => [row.tag, row]))
  const inFolder = new Set(migrations.map((migration) => migration.tag))
  const states = migrations.map((migration): MigrationState => {
    const row = applied.get(migration.tag)
    if (!row) return { tag: migration.tag, state: 'pending' }
    return {
      tag: migration.tag,
      state: 'applied',
      appliedAt: row.appliedAt,
      checksumOk: row.checksum === migration.checksum,
    }
  })
  const missing = history.filter((row) => !inFolder.has(row.tag))
  return [
    ...states,
    ...missing.map(
      (row): MigrationState => ({ tag: row.tag, state: 'missing-file', appliedAt: row.appliedAt }),
    ),
  ]
}

export async function verifyMigrations(
  handle: DbHandle,
  opts: MigrationOptions,
): Promise<{ ok: boolean; problems: string[] }> {
  const { migrations, history } = await load(handle.raw, opts)
  const problems = findProblems(migrations, history).map((problem) => problem.message)
  return { ok: problems.length === 0, problems }
}

async function load(conn: RawSql, opts: MigrationOptions) {
  const [migrations, history] = await Promise.all([
    readMigrations(opts.migrationsDir),
    readHistory(conn, opts.service),
  ])
  return { migrations, history }
}

/** Like Flyway's validate: nothing runs against a history the folder no longer matches. */
async function loadVerified(conn: RawSql, opts: MigrationOptions) {
  const loaded = await load(conn, opts)
  const problems = findProblems(loaded.migrations, loaded.history)
  if (problems[0]) {
    const list = problems.map((problem) => problem.message).join('\n')
    throw new MigrationError(`refusing to migrate ${opts.service}:\n${list}`, {
      file: `${problems[0].tag}.sql`,
    })
  }
  return loaded
}

function findProblems(
  migrations: Migration[],
  history: AppliedMigration[],
): { tag: string; message: string }[] {
  const byTag = new Map(migrations.map((migration) => [migration.tag, migration]))
  return history.flatMap(({ tag, checksum }) => {
    const migration = byTag.get(tag)
    if (!migration)
      return [{ tag, message: `${tag}: applied to the database but missing from the migrations folder` }]
    if (migration.checksum !== checksum)
      return [{ tag, message: `${tag}: file changed since it was applied` }]
    return []
  })
}

async function runStatements(tx: RawSql, file: string, statements: string[]): Promise<void> {
  for (const statement of statements) {
    try {
      await tx.exec(statement)
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      throw new MigrationError(`${file} failed: ${reason}`, { file, statement, cause: error })
    }
  }
}

function logDryRun(log: (line: string) => void, file: string, statements: string[]): void {
  log(`-- ${file} (dry run, not applied)`)
  for (const statement of statements) log(statement)
}

function elapsed(started: number): string {
  return `${Math.round(performance.now() - started)} ms`
}
