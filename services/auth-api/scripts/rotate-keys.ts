/** `pnpm --filter auth-api keys:rotate`: a new access-token signing key; the old one stays in the JWKS until its tokens expire. */
import { loadScriptConfig } from '../src/config.ts'
import { rotateSigningKey } from '../src/signing-keys.ts'
import { openServiceDb } from './open-db.ts'

const config = loadScriptConfig()
const db = await openServiceDb(config)
try {
  const kid = await rotateSigningKey(db.db, new Date())
  process.stdout.write(`new signing key ${kid}; running instances switch to it within a minute\n`)
} finally {
  await db.close()
}
