import { fileURLToPath } from 'node:url'
import { bootService } from '@gatehouse/service-kit'
import { buildApp } from './app.ts'
import { loadBomTriggersConfigOrExit } from './config.ts'

await bootService({
  name: 'bom-triggers',
  config: loadBomTriggersConfigOrExit(),
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  build: buildApp,
})
