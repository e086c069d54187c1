import { fileURLToPath } from 'node:url'
import { bootService, loadConfigOrExit } from '@gatehouse/service-kit'
import { buildApp } from './app.ts'
import { configSchema } from './config.ts'

await bootService({
  name: 'qr-auth',
  config: loadConfigOrExit('qr-auth', configSchema),
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  build: buildApp,
})
