/**
 * `pnpm --filter @gatehouse/metering retention -- --keep-months 13 [--dry-run]`: drops the month partitions of
 * usage_events older than that (and their idempotency keys) and says what it dropped. Rollups are kept.
 */
import { parseArgs } from 'node:util'
import { configOrExit, loadConfig, openServiceDatabase } from '@gatehouse/service-kit'
import { configSchema } from '../src/config.ts'
import { dropOldPartitions } from '../src/retention.ts'

const { values } = parseArgs({
  options: { 'keep-months': { type: 'string' }, 'dry-run': { type: 'boolean', default: false } },
})
const keepMonths = Number(values['keep-months'])
if (!Number.isInteger(keepMonths) || keepMonths < 2) {
  process.stderr.write('usage: retention --keep-months N (N >= 2) [--dry-run]\n')
  process.exit(1)
}
// Operator commands need only the database settings: the service's schema without its secrets rule.
const config = configOrExit('metering', () => loadConfig(configSchema, process.env))
const db = await openServiceDatabase('metering', config)
try {
  const dryRun = values['dry-run'] === true
  const dropped = await dropOldPartitions(db.db, { keepMonths, at: new Date(), dryRun })
  const verb = dryRun ? 'would drop' : 'dropped'
  for (const part of dropped) {
    process.stdout.write(`${verb} ${part.partition} [${part.from}, ${part.to}) with ${part.events} events\n`)
  }
  if (dropped.length === 0) process.stdout.write(`nothing older than ${keepMonths} months\n`)
} finally {
  await db.close()
}
