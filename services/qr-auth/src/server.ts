import { fileURLToPath } from 'node:url'
import { bootService } from '@gatehouse/service-kit'
import { buildApp } from './app.ts'
import { loadQrAuthConfigOrExit } from './config.ts'

await bootService({
  name: 'qr-auth',
  config: loadQrAuthConfigOrExit(),
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  build: buildApp,
})
