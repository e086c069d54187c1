import { pepperVersionOf } from '@gatehouse/crypto'
import type { Database } from '@gatehouse/db-kit'
import { and, count, gt, isNull, or, sql } from 'drizzle-orm'
import type { Config } from '../config.ts'
import { apiKeys } from '../db/schema/index.ts'
import { countLegacyRawKeys } from './legacy-backfill.ts'

export interface PepperStatus {
  currentVersion: number
  previousVersion?: number
  /** Keys (revoked and expired ones included) per pepper they are hashed under. */
  onCurrent: number
  onPrevious: number
  onUnknown: number
  /** Usable keys that still depend on API_KEY_PEPPER_PREVIOUS: they stop working when it is removed. */
  activeOnPrevious: number
  /** Usable keys under a pepper that is configured neither as current nor previous: they cannot verify. */
  activeOnUnknown: number
  legacyRawKeys: number
}

export async function pepperStatus(
  db: Database,
  config: Pick<Config, 'API_KEY_PEPPER' | 'API_KEY_PEPPER_PREVIOUS'>,
  now: Date,
): Promise<PepperStatus> {
  const currentVersion = pepperVersionOf(config.API_KEY_PEPPER)
  const previousVersion = config.API_KEY_PEPPER_PREVIOUS
    ? pepperVersionOf(config.API_KEY_PEPPER_PREVIOUS)
    : undefined
  const usable = and(isNull(apiKeys.revokedAt), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)))
  const rows = await db
    .select({
      version: apiKeys.pepperVersion,
      total: count(),
      active: sql<number>`count(*) filter (where ${usable})`.mapWith(Number),
    })
    .from(apiKeys)
    .groupBy(apiKeys.pepperVersion)
  const status: PepperStatus = {
    currentVersion,
    previousVersion,
    onCurrent: 0,
    onPrevious: 0,
    onUnknown: 0,
    activeOnPrevious: 0,
    activeOnUnknown: 0,
    legacyRawKeys: await countLegacyRawKeys(db),
  }
  for (const row of rows) {
    if (row.version === currentVersion) status.onCurrent += row.total
    else if (row.version === previousVersion) {
      status.onPrevious += row.total
      status.activeOnPrevious += row.active
    } else {
      status.onUnknown += row.total
      status.activeOnUnknown += row.active
    }
  }
  return status
}
