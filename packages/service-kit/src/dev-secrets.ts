import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

/**
 * Embedded default only: secrets generated once into `.data/secrets.json` (mode 0600) and reused across restarts,
 * so a bare machine starts without configuration. Never called when NODE_ENV=production.
 */
export function loadDevSecrets(file: string, names: string[]): Record<string, string> {
  const stored: Record<string, string> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {}
  let changed = false
  for (const name of names) {
    if (!stored[name]) {
      stored[name] = randomBytes(32).toString('base64url')
      changed = true
    }
  }
  if (changed) {
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 })
  }
  return stored
}
