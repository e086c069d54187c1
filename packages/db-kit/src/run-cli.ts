import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { findRepoRoot } from './data-dir.ts'
import { createDb, type DbConfig, type DbHandle } from './db.ts'
import {
  type MigrationOptions,
  type MigrationState,
  migrateDown,
  migrateUp,
  migrationStatus,
  verifyMigrations,
} from './migrate.ts'
import { MigrationError } from './migration-error.ts'
import { resolveServiceDatabase, serviceDatabaseEnvVar } from './service-database.ts'

const COMMANDS = ['up', 'down', 'status', 'verify'] as const
type Command = (typeof COMMANDS)[number]

const USAGE = `usage: migrate [up | down [n] | status | verify] [--dry-run] [--service <name>]...
  --filter <name> is an alias of --service; @gatehouse/<name> is accepted
  database: <SERVICE>_DATABASE_URL, else DATABASE_URL, else embedded PGlite at <repo>/.data/<service>
  GATEHOUSE_SERVICES_DIR and GATEHOUSE_DATA_DIR replace <repo>/services and <repo>/.data`

interface CliArgs {
  command: Command
  steps: number
  dryRun: boolean
  services: string[]
}

export interface CliOutput {
  log(text: string): void
  error(text: string): void
}

class UsageError extends Error {}

/**
 * The `migrate` command; resolves with the exit code. `serviceOrder` (the service registry's order) comes first
 * when every service is migrated; other service folders follow by name.
 */
export async function runMigrationCli(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  out: CliOutput = console,
  serviceOrder: readonly string[] = [],
): Promise<number> {
  let args: CliArgs | 'help'
  let servicesDir: string
  try {
    args = parseArgs(argv)
    if (args === 'help') {
      out.log(USAGE)
      return 0
    }
    servicesDir = env.GATEHOUSE_SERVICES_DIR || join(findRepoRoot(), 'services')
  } catch (error) {
    out.error(error instanceof UsageError ? `${error.message}\n${USAGE}` : describe(error))
    return 1
  }
  let exitCode = 0
  for (const service of args.services.length > 0 ? args.services : listServices(servicesDir, serviceOrder)) {
    try {
      if (!(await runForService(service, servicesDir, args, env, out))) exitCode = 1
    } catch (error) {
      out.error(formatError(service, error))
      return 1
    }
  }
  return exitCode
}

function parseArgs(argv: string[]): CliArgs | 'help' {
  const args: CliArgs = { command: 'up', steps: 1, dryRun: false, services: [] }
  let commandGiven = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? ''
    const [flag, inlineValue] = arg.startsWith('--') ? arg.split('=', 2) : [arg]
    if (arg === '--help' || arg === '-h') return 'help'
    if (arg === '--') continue
    if (arg === '--dry-run') args.dryRun = true
    else if (flag === '--service' || flag === '--filter') {
      const value = inlineValue ?? argv[++i]
      if (!value) throw new UsageError(`${flag} needs a service name`)
      args.services.push(value.replace(/^@gatehouse\//, ''))
    } else if (!commandGiven && COMMANDS.includes(arg as Command)) {
      args.command = arg as Command
      commandGiven = true
    } else if (args.command === 'down' && /^\d+$/.test(arg) && Number(arg) > 0) args.steps = Number(arg)
    else throw new UsageError(`unexpected argument: ${arg}`)
  }
  return args
}

function listServices(servicesDir: string, order: readonly string[]): string[] {
  const folders = readdirSync(servicesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
  const others = folders.filter((name) => !order.includes(name)).sort()
  return [...order.filter((name) => folders.includes(name)), ...others]
}

async function runForService(
  service: string,
  servicesDir: string,
  args: CliArgs,
  env: NodeJS.ProcessEnv,
  out: CliOutput,
): Promise<boolean> {
  if (!existsSync(join(servicesDir, service)))
    throw new Error(`unknown service: no folder ${join(servicesDir, service)}`)
  const migrationsDir = join(servicesDir, service, 'migrations')
  if (!existsSync(join(migrationsDir, 'meta', '_journal.json'))) {
    out.log(`${service}: no migrations, skipped`)
    return true
  }
  const config = resolveServiceDatabase(service, env)
  out.log(`${service} (${describeDatabase(service, config, env)})`)
  const log = (text: string) => out.log(indent(text))
  const readOnly = args.dryRun || args.command === 'status' || args.command === 'verify'
  const notCreated = config.dataDir !== undefined && !existsSync(config.dataDir)
  if (readOnly && notCreated) log('the embedded database does not exist yet; reading an empty one')
  // A read-only command must not create the embedded database as a side effect.
  const handle = await createDb(readOnly && notCreated ? {} : config)
  try {
    return await runCommand(handle, args, { migrationsDir, service, dryRun: args.dryRun, log })
  } finally {
    await handle.close()
  }
}

async function runCommand(
  handle: DbHandle,
  args: CliArgs,
  opts: Required<MigrationOptions>,
): Promise<boolean> {
  switch (args.command) {
    case 'up': {
      const { applied } = await migrateUp(handle, opts)
      if (opts.dryRun) opts.log('dry run: nothing was applied')
      else if (applied.length === 0) opts.log('up to date')
      return true
    }
    case 'down': {
      const { reverted } = await migrateDown(handle, { ...opts, steps: args.steps })
      if (opts.dryRun) opts.log('dry run: nothing was reverted')
      else if (reverted.length === 0) opts.log('nothing to revert')
      return true
    }
    case 'status':
      for (const line of statusTable(await migrationStatus(handle, opts))) opts.log(line)
      return true
    case 'verify': {
      const { ok, problems } = await verifyMigrations(handle, opts)
      for (const problem of ok ? ['ok'] : problems) opts.log(problem)
      return ok
    }
  }
}

function statusTable(states: MigrationState[]): string[] {
  if (states.length === 0) return ['no migrations']
  const rows = [
    ['migration', 'state', 'applied at'],
    ...states.map((s) => [
      s.tag,
      s.checksumOk === false ? 'applied, file changed' : s.state,
      s.appliedAt?.toISOString() ?? '',
    ]),
  ]
  const widths = [0, 1].map((column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)))
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd(),
  )
}

function describeDatabase(service: string, config: DbConfig, env: NodeJS.ProcessEnv): string {
  const serviceVar = serviceDatabaseEnvVar(service)
  if (config.url) return `PostgreSQL from ${env[serviceVar] ? serviceVar : 'DATABASE_URL'}`
  return `embedded PGlite at ${config.dataDir}; set ${serviceVar} or DATABASE_URL for PostgreSQL`
}

function formatError(service: string, error: unknown): string {
  if (!(error instanceof MigrationError) || !error.statement)
    return `${service}: ${indent(describe(error)).trimStart()}`
  const lines = [`${service}: migration failed`, `  file:      ${error.file}`]
  lines.push(`  statement: ${error.statement.replaceAll('\n', '\n             ')}`)
  lines.push(
    error.pgCode
      ? `  postgres:  ${error.pgCode} ${error.pgMessage}`
      : `  error:     ${describe(error.cause)}`,
  )
  return lines.join('\n')
}

/** A connection failure to `localhost` is an AggregateError with an empty message on Node 20. */
function describe(error: unknown): string {
  if (error instanceof AggregateError && !error.message) return error.errors.map(describe).join('; ')
  if (error instanceof Error) return error.message || String((error as { code?: unknown }).code ?? error.name)
  return String(error)
}

function indent(text: string): string {
  return text.replace(/^/gm, '  ')
}
