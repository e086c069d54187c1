import { fileURLToPath } from 'node:url'
import { bootService, ConfigError } from '@gatehouse/service-kit'
import { buildApp } from './app.ts'
import { type Config, loadServerConfig } from './config.ts'

function configOrExit(): Config {
  try {
    return loadServerConfig()
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    for (const problem of error.problems) process.stderr.write(`auth-api: config error: ${problem}\n`)
    process.exit(1)
  }
}

await bootService({
  name: 'auth-api',
  config: configOrExit(),
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  build: buildApp,
})
