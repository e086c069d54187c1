import type { RawSql } from './raw-sql.ts'

/** Runs `select 1`; the round trip in ms. Shared by both drivers (its own module: db.ts imports them). */
export async function timePing(raw: RawSql): Promise<number> {
  const started = performance.now()
  await raw.query('select 1')
  return performance.now() - started
}
