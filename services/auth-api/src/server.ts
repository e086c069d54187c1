import { bootService } from '@gatehouse/service-kit'
import { buildApp } from './app.ts'
import { loadAuthApiConfigOrExit } from './config.ts'

await bootService({ name: 'auth-api', config: loadAuthApiConfigOrExit(), build: buildApp })
