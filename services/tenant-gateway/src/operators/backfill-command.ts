import type { DbHandle } from '@gatehouse/db-kit'
import { systemClock } from '@gatehouse/service-kit'
import { SingleBar } from 'cli-progress'
import type { Config } from '../config.ts'
import { keyHasherOf } from '../keys/api-keys.ts'
import { TenantScopedCache } from '../keys/key-cache.ts'
import { createKeyVerifier, type VerifiedKey } from '../keys/key-verification.ts'
import { backfillLegacyKeys } from '../keys/legacy-backfill.ts'

export interface CommandOutput {
  log(line: string): void
  /** Where the progress bar is drawn (a TTY redraws in place; anything else gets a line every 2 s). */
  progress: NodeJS.WritableStream
}

const KNOWN = new Set(['--dry-run', '--batch-size'])

/** `backfill:legacy-keys [--dry-run] [--batch-size N]`; resolves with the exit code. Never prints a key. */
export async function runBackfillCommand(
  argv: string[],
  deps: {
    db: DbHandle
    config: Pick<Config, 'API_KEY_PEPPER' | 'API_KEY_PEPPER_PREVIOUS'>
    out: CommandOutput
  },
): Promise<number> {
  const dryRun = argv.includes('--dry-run')
  const sizeArg = argv.indexOf('--batch-size')
  const batchSize = sizeArg >= 0 ? Number(argv[sizeArg + 1]) : 200
  if (
    !Number.isInteger(batchSize) ||
    batchSize < 1 ||
    argv.some((arg) => arg.startsWith('--') && !KNOWN.has(arg))
  ) {
    deps.out.log('usage: backfill:legacy-keys [--dry-run] [--batch-size N]')
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
  const bar = new SingleBar({
    stream: deps.out.progress,
    format: `${dryRun ? '[dry run] ' : ''}legacy keys |{bar}| {value}/{total} clients | migrated {migrated} | failed {failed} | {rate}/s`,
    noTTYOutput: true,
    notTTYSchedule: 2_000,
    hideCursor: false,
  })
  const started = performance.now()
  let barStarted = false
  const report = await backfillLegacyKeys({
    db: deps.db.db,
    hasher,
    verifier,
    dryRun,
    batchSize,
    onProgress: (progress) => {
      const seconds = (performance.now() - started) / 1000
      const payload = {
        migrated: progress.migrated,
        failed: progress.failed,
        rate: seconds > 0 ? Math.round(progress.processed / seconds) : 0,
      }
      if (!barStarted) {
        bar.start(progress.total, progress.processed, payload)
        barStarted = true
      } else bar.update(progress.processed, payload)
    },
  })
  bar.stop()
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
