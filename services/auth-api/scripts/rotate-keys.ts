/** `pnpm --filter auth-api keys:rotate`: a new access-token signing key; the old one stays in the JWKS until its tokens expire. */
import { configOrExit, loadConfig, runOperatorCommand } from '@gatehouse/service-kit'
import { configSchema } from '../src/config.ts'
import { rotateSigningKey } from '../src/signing-keys.ts'

// Operator commands need only the database settings: the service's schema without its secrets rule.
const config = configOrExit('auth-api', () => loadConfig(configSchema, process.env))
let kid: string | undefined
// Refused while a running auth-api holds the embedded database; reported once the database is closed.
await runOperatorCommand('auth-api', config, async (db) => {
  kid = await rotateSigningKey(db.db, new Date())
  return 0
})
if (kid) process.stdout.write(`new signing key ${kid}; running instances switch to it within a minute\n`)
