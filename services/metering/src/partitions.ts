import type { Database } from '@gatehouse/db-kit'
import { addUtcMonths, type Clock, utcMonthStart } from '@gatehouse/service-kit'
import { sql } from 'drizzle-orm'
import { selectRows } from './db/rows.ts'
import { LATE_WINDOW_MS } from './windows.ts'

export interface PartitionKeeper {
  /** Creates the month partitions these instants fall in, unless this process already knows they exist. */
  ensureFor(instants: readonly Date[]): Promise<void>
  /**
   * Asks the database again, past what this process remembers; true when a partition was missing and made (one
   * dropped by hand). The insert that failed can then be tried once more.
   */
  recheck(instants: readonly Date[]): Promise<boolean>
  /** Every month an event may be accepted for now, and `monthsAhead` more; answers the partitions it created. */
  ensureAhead(): Promise<string[]>
}

/**
 * Partitions are created by the database function create_usage_events_partition (creators serialize on a table
 * lock, so concurrent replicas agree); this keeps the months already seen so a batch costs no extra round trip
 * once its months exist.
 */
export function createPartitionKeeper(
  db: Database,
  options: { clock: Clock; monthsAhead: number },
): PartitionKeeper {
  let known = new Map<number, Promise<void>>()

  const create = async (monthStart: Date): Promise<boolean> => {
    const [row] = await selectRows<{ created: string | null }>(
      db,
      sql`select create_usage_events_partition(${monthStart.toISOString()}::timestamptz) as created`,
    )
    return Boolean(row?.created)
  }
  const monthsOf = (instants: readonly Date[]) =>
    [...new Set(instants.map((at) => utcMonthStart(at).getTime()))].map((month) => new Date(month))

  const ensureMonth = (monthStart: Date): Promise<void> => {
    const key = monthStart.getTime()
    let pending = known.get(key)
    if (!pending) {
      pending = create(monthStart).then(() => undefined)
      // A failed creation is retried by the next batch that needs the month.
      pending.catch(() => known.delete(key))
      known.set(key, pending)
    }
    return pending
  }

  return {
    async ensureFor(instants) {
      await Promise.all(monthsOf(instants).map(ensureMonth))
    },
    async recheck(instants) {
      const created = await Promise.all(monthsOf(instants).map(create))
      return created.includes(true)
    },
    async ensureAhead() {
      const now = options.clock()
      const from = utcMonthStart(new Date(now.getTime() - LATE_WINDOW_MS))
      const to = addUtcMonths(now, options.monthsAhead)
      const created = await selectRows<{ name: string }>(
        db,
        sql`select name from ensure_usage_events_partitions(${from.toISOString()}::timestamptz, ${to.toISOString()}::timestamptz) as name`,
      )
      // Forget what was learnt before: a partition dropped by hand is found missing and made again within the hour.
      known = new Map()
      for (let month = from; month <= to; month = addUtcMonths(month, 1)) {
        known.set(month.getTime(), Promise.resolve())
      }
      return created.map((row) => row.name)
    },
  }
}
