/** `pnpm --filter auth-api seed:demo`: a demo user for development. Refused when NODE_ENV=production. */
import { configOrExit, loadConfig, openServiceDatabase } from '@gatehouse/service-kit'
import { configSchema } from '../src/config.ts'
import { seedDemoUser } from '../src/demo-user.ts'

// Operator commands need only the database settings: the service's schema without its secrets rule.
const config = configOrExit('auth-api', () => loadConfig(configSchema, process.env))
if (config.NODE_ENV === 'production') {
  process.stderr.write('seed:demo refuses to run with NODE_ENV=production\n')
  process.exit(1)
}
const db = await openServiceDatabase('auth-api', config)
try {
  const demo = await seedDemoUser(db.db, { nodeEnv: config.NODE_ENV, now: new Date() })
  process.stdout.write(
    `${demo.created ? 'created' : 'reset the password of'} ${demo.email}\npassword: ${demo.password}\n` +
      '(the embedded database is locked by a running service: stop `pnpm start` first)\n',
  )
} finally {
  await db.close()
}
