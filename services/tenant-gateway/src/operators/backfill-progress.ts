import { SingleBar } from 'cli-progress'
import type { BackfillProgress } from '../keys/legacy-backfill.ts'

export interface ProgressView {
  update(progress: BackfillProgress): void
  stop(): void
}

const LINE_INTERVAL_MS = 2_000

function describe(progress: BackfillProgress, label: string, rate: number): string {
  return `${label}legacy keys ${progress.processed}/${progress.total} clients | migrated ${progress.migrated} | failed ${progress.failed} | ${rate}/s`
}

/**
 * The backfill's progress on stderr: a bar redrawn in place on a terminal; anywhere else (a log, CI) one line at
 * the start, then one at most every 2 s, and the last one. Nothing at all when there is nothing to do.
 */
export function backfillProgress(
  stream: NodeJS.WritableStream,
  options: { dryRun: boolean; now?: () => number },
): ProgressView {
  const now = options.now ?? (() => performance.now())
  const label = options.dryRun ? '[dry run] ' : ''
  const started = now()
  const rateOf = (progress: BackfillProgress) => {
    const seconds = (now() - started) / 1000
    return seconds > 0 ? Math.round(progress.processed / seconds) : 0
  }
  if ((stream as NodeJS.WriteStream).isTTY) {
    const bar = new SingleBar({
      stream,
      format: `${label}legacy keys |{bar}| {value}/{total} clients | migrated {migrated} | failed {failed} | {rate}/s`,
      hideCursor: false,
    })
    let shown = false
    return {
      update(progress) {
        if (progress.total === 0) return
        const payload = { migrated: progress.migrated, failed: progress.failed, rate: rateOf(progress) }
        if (!shown) bar.start(progress.total, progress.processed, payload)
        else bar.update(progress.processed, payload)
        shown = true
      },
      stop: () => {
        if (shown) bar.stop()
      },
    }
  }
  let last: BackfillProgress | undefined
  let lastWritten: number | undefined
  let pending = false
  const write = (progress: BackfillProgress) => {
    stream.write(`${describe(progress, label, rateOf(progress))}\n`)
    lastWritten = now()
    pending = false
  }
  return {
    update(progress) {
      if (progress.total === 0) return
      last = { ...progress }
      pending = true
      if (lastWritten === undefined || now() - lastWritten >= LINE_INTERVAL_MS) write(last)
    },
    stop() {
      if (last && pending) write(last)
    },
  }
}
