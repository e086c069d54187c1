import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { backfillHelp } from '../src/operators/backfill-command.ts'
import { backfillProgress } from '../src/operators/backfill-progress.ts'

function collector() {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean))
      done()
    },
  })
  return { lines, stream }
}

const state = (processed: number, total = 1_000) => ({ total, processed, migrated: processed, failed: 0 })

// Issue 13 papercut: off a terminal the bar printed only its first and last line, and an empty run drew it twice.
describe('backfill progress when stderr is not a terminal', () => {
  it('prints a line at the start, one at most every 2 s, and the last one', () => {
    const { lines, stream } = collector()
    let now = 0
    const progress = backfillProgress(stream, { dryRun: false, now: () => now })
    progress.update(state(0))
    for (let processed = 200; processed <= 1_000; processed += 200) {
      now += 1_100
      progress.update(state(processed))
    }
    progress.stop()
    expect(lines).toEqual([
      'legacy keys 0/1000 clients | migrated 0 | failed 0 | 0/s',
      'legacy keys 400/1000 clients | migrated 400 | failed 0 | 182/s',
      'legacy keys 800/1000 clients | migrated 800 | failed 0 | 182/s',
      'legacy keys 1000/1000 clients | migrated 1000 | failed 0 | 182/s',
    ])
  })

  it('prints nothing when there is nothing to migrate', () => {
    const { lines, stream } = collector()
    const progress = backfillProgress(stream, { dryRun: true })
    progress.update(state(0, 0))
    progress.update(state(0, 0))
    progress.stop()
    expect(lines).toEqual([])
  })

  it('answers --help without touching the database', () => {
    expect(backfillHelp(['--help'])?.[0]).toMatch(/^usage: backfill:legacy-keys/)
    expect(backfillHelp(['--dry-run'])).toBeUndefined()
  })
})
