import { fileURLToPath } from 'node:url'
import { bootService } from '@gatehouse/service-kit'
import { buildApp } from './app.ts'
import { loadMeteringConfigOrExit } from './config.ts'

await bootService({
  name: 'metering',
  config: loadMeteringConfigOrExit(),
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  build: buildApp,
})
