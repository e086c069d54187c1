import type { Config } from './config.ts'

export interface Upstream {
  service: string
  url: string
  prefixes: string[]
}

/** The public route table (ARCHITECTURE.md, "Request path"). Upstreams serve the same paths the gateway receives. */
export function upstreamsOf(config: Config): Upstream[] {
  return [
    { service: 'auth-api', url: config.AUTH_API_URL, prefixes: ['/api/auth'] },
    { service: 'qr-auth', url: config.QR_AUTH_URL, prefixes: ['/api/qr'] },
    { service: 'bom-triggers', url: config.BOM_TRIGGERS_URL, prefixes: ['/api/bom-triggers', '/api/tasks', '/api/materials'] },
    { service: 'metering', url: config.METERING_URL, prefixes: ['/api/usage'] },
  ]
}
