/**
 * How far a service's start has come, for `pnpm start` to show per service (it spawns each service with an IPC
 * channel; without one, as under any other supervisor, nothing is sent). Logs stay what they are.
 */
export type StartupStage =
  | { stage: 'database'; embedded: boolean }
  /** One migration applied, e.g. `0001_users (120 ms)`. */
  | { stage: 'migration'; applied: string }
  | { stage: 'migrated'; applied: number; ms: number }
  | { stage: 'listening'; port: number }

export const STARTUP_MESSAGE = 'gatehouse:startup'

export function reportStartup(progress: StartupStage): void {
  if (typeof process.send !== 'function' || !process.connected) return
  process.send({ type: STARTUP_MESSAGE, ...progress }, undefined, {}, () => {})
}
