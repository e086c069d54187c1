/** `pnpm --filter auth-api seed:demo`: a demo user for development. Refused when NODE_ENV=production. */
import { configOrExit, loadConfig, runOperatorCommand } from '@gatehouse/service-kit'
import { configSchema } from '../src/config.ts'
import { seedDemoUser } from '../src/demo-user.ts'

// Operator commands need only the database settings: the service's schema without its secrets rule.
const config = configOrExit('auth-api', () => loadConfig(configSchema, process.env))
if (config.NODE_ENV === 'production') {
  process.stderr.write('seed:demo refuses to run with NODE_ENV=production\n')
  process.exit(1)
}
// Refused while a running auth-api holds the embedded database (the write would be lost); reported only once the
// database is closed, so what is printed is what is stored.
let demo: Awaited<ReturnType<typeof seedDemoUser>> | undefined
await runOperatorCommand('auth-api', config, async (db) => {
  demo = await seedDemoUser(db.db, { nodeEnv: config.NODE_ENV, now: new Date() })
  return 0
})
if (demo) {
  process.stdout.write(
    `${demo.created ? 'created' : 'reset the password of'} ${demo.email}\npassword: ${demo.password}\n`,
  )
}
