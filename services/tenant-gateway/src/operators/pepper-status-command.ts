import type { DbHandle } from '@gatehouse/db-kit'
import type { Config } from '../config.ts'
import { pepperStatus } from '../keys/pepper-status.ts'

/** `pepper:status`: which pepper each stored key depends on. Exit code 3 while usable keys still need the previous one. */
export async function runPepperStatusCommand(deps: {
  db: DbHandle
  config: Pick<Config, 'API_KEY_PEPPER' | 'API_KEY_PEPPER_PREVIOUS'>
  out: { log(line: string): void }
}): Promise<number> {
  const status = await pepperStatus(deps.db.db, deps.config, new Date())
  const { out } = deps
  out.log(`current pepper  v${status.currentVersion}: ${status.onCurrent} keys`)
  if (status.previousVersion !== undefined) {
    out.log(
      `previous pepper v${status.previousVersion}: ${status.onPrevious} keys, ${status.activeOnPrevious} still usable (re-hashed on their next use)`,
    )
  } else {
    out.log('previous pepper: not configured')
  }
  out.log(`unknown pepper: ${status.onUnknown} keys, ${status.activeOnUnknown} usable (they cannot verify)`)
  out.log(`legacy raw clients.api_key values: ${status.legacyRawKeys}`)
  if (status.activeOnPrevious > 0) {
    out.log(
      `API_KEY_PEPPER_PREVIOUS is still needed by ${status.activeOnPrevious} keys: keep it, or rotate those keys before removing it.`,
    )
    return 3
  }
  if (status.previousVersion !== undefined)
    out.log('No usable key depends on API_KEY_PEPPER_PREVIOUS: it can be removed.')
  return 0
}
