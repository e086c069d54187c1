/** `pnpm --filter auth-api seed:demo`: a demo user for development. Refused when NODE_ENV=production. */
import { loadScriptConfig } from '../src/config.ts'
import { seedDemoUser } from '../src/demo-user.ts'
import { openServiceDb } from './open-db.ts'

const config = loadScriptConfig()
if (config.NODE_ENV === 'production') {
  process.stderr.write('seed:demo refuses to run with NODE_ENV=production\n')
  process.exit(1)
}
const db = await openServiceDb(config)
try {
  const demo = await seedDemoUser(db.db, { nodeEnv: config.NODE_ENV, now: new Date() })
  process.stdout.write(
    `${demo.created ? 'created' : 'reset the password of'} ${demo.email}\npassword: ${demo.password}\n` +
      '(the embedded database is locked by a running service: stop `pnpm start` first)\n',
  )
} finally {
  await db.close()
}
