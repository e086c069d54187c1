import type { DbHandle } from '@gatehouse/db-kit'
import { systemClock } from '@gatehouse/service-kit'
import type { Config } from '../config.ts'
import { keyHasherOf } from '../keys/api-keys.ts'
import { TenantScopedCache } from '../keys/key-cache.ts'
import { createKeyVerifier, type VerifiedKey } from '../keys/key-verification.ts'
import { backfillLegacyKeys } from '../keys/legacy-backfill.ts'
import { backfillProgress } from './backfill-progress.ts'

export interface CommandOutput {
  log(line: string): void
  /** Where progress is drawn (a terminal gets a bar redrawn in place; anything else a line at most every 2 s). */
  progress: NodeJS.WritableStream
}

const KNOWN = new Set(['--dry-run', '--batch-size'])
const USAGE = 'usage: backfill:legacy-keys [--dry-run] [--batch-size N]'
const HELP = [
  USAGE,
  '  --dry-run       count and hash, write nothing',
  '  --batch-size N  clients per batch (default 200)',
  'Stop the gateway first on the embedded database; with DATABASE_URL it runs beside the live gateway.',
]

/** The help text when it is asked for (`--help`, `-h`): printed without touching the database, exit code 0. */
export function backfillHelp(argv: readonly string[]): string[] | undefined {
  return argv.includes('--help') || argv.includes('-h') ? HELP : undefined
}

/** `backfill:legacy-keys [--dry-run] [--batch-size N]`; resolves with the exit code. Never prints a key. */
export async function runBackfillCommand(
  argv: string[],
  deps: {
    db: DbHandle
    config: Pick<Config, 'API_KEY_PEPPER' | 'API_KEY_PEPPER_PREVIOUS'>
    out: CommandOutput
  },
): Promise<number> {
  const help = backfillHelp(argv)
  if (help) {
    for (const line of help) deps.out.log(line)
    return 0
  }
  const dryRun = argv.includes('--dry-run')
  const sizeArg = argv.indexOf('--batch-size')
  const batchSize = sizeArg >= 0 ? Number(argv[sizeArg + 1]) : 200
  if (
    !Number.isInteger(batchSize) ||
    batchSize < 1 ||
    argv.some((arg) => arg.startsWith('--') && !KNOWN.has(arg))
  ) {
    deps.out.log(USAGE)
    return 1
  }
  const hasher = keyHasherOf(deps.config)
  // No cache: each migrated key must be found in the database, exactly as a cold gateway would.
  const verifier = createKeyVerifier({
    db: deps.db.db,
    hasher,
    cache: new TenantScopedCache<VerifiedKey>(0, systemClock),
    clock: systemClock,
    acceptLegacy: true,
  })
  const progress = backfillProgress(deps.out.progress, { dryRun })
  const started = performance.now()
  const report = await backfillLegacyKeys({
    db: deps.db.db,
    hasher,
    verifier,
    dryRun,
    batchSize,
    onProgress: (state) => progress.update(state),
  })
  progress.stop()
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  const verb = dryRun ? 'would migrate' : 'migrated'
  deps.out.log(
    `${dryRun ? '[dry run] ' : ''}${report.total} clients with a legacy key: ${verb} ${report.migrated}, failed ${report.failed} (${seconds} s)`,
  )
  if (report.failed > 0) {
    deps.out.log(`not migrated (raw column left in place): ${report.failedClientIds.join(', ')}`)
  }
  if (dryRun) deps.out.log('[dry run] nothing was written')
  return report.failed > 0 ? 2 : 0
}
