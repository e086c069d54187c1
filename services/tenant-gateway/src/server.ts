import { bootService } from '@gatehouse/service-kit'
import { buildApp } from './app.ts'
import { loadTenantGatewayConfigOrExit } from './config.ts'

await bootService({ name: 'tenant-gateway', config: loadTenantGatewayConfigOrExit(), build: buildApp })
