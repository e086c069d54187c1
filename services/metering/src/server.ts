import { fileURLToPath } from 'node:url'
import { bootService, loadConfigOrExit } from '@gatehouse/service-kit'
import { buildApp } from './app.ts'
import { configSchema } from './config.ts'

await bootService({
  name: 'metering',
  config: loadConfigOrExit('metering', configSchema),
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  build: buildApp,
})
