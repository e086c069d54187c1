import { fileURLToPath } from 'node:url'
import { bootService, loadConfigOrExit } from '@gatehouse/service-kit'
import { buildApp } from './app.ts'
import { configSchema } from './config.ts'

await bootService({
  name: 'tenant-gateway',
  config: loadConfigOrExit('tenant-gateway', configSchema),
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  build: buildApp,
})
