/** `pnpm --filter auth-api keys:rotate`: a new access-token signing key; the old one stays in the JWKS until its tokens expire. */
import { configOrExit, loadConfig, openServiceDatabase } from '@gatehouse/service-kit'
import { configSchema } from '../src/config.ts'
import { rotateSigningKey } from '../src/signing-keys.ts'

// Operator commands need only the database settings: the service's schema without its secrets rule.
const config = configOrExit('auth-api', () => loadConfig(configSchema, process.env))
const db = await openServiceDatabase('auth-api', config)
try {
  const kid = await rotateSigningKey(db.db, new Date())
  process.stdout.write(`new signing key ${kid}; running instances switch to it within a minute\n`)
} finally {
  await db.close()
}
