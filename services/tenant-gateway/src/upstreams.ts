import type { Config } from './config.ts'

/** `tenant`: API key, or user token + x-tenant-id with membership. `public`: anyone, limited per client IP. */
export type Access = 'tenant' | 'public'

export interface Upstream {
  service: string
  url: string
  prefixes: string[]
  access: Access
}

/** The public route table (ARCHITECTURE.md, "Request path"). Upstreams serve the same paths the gateway receives. */
export function upstreamsOf(config: Config): Upstream[] {
  return [
    { service: 'auth-api', url: config.AUTH_API_URL, prefixes: ['/api/auth'], access: 'public' },
    { service: 'qr-auth', url: config.QR_AUTH_URL, prefixes: ['/api/qr'], access: 'public' },
    {
      service: 'bom-triggers',
      url: config.BOM_TRIGGERS_URL,
      prefixes: ['/api/bom-triggers', '/api/tasks', '/api/materials'],
      access: 'tenant',
    },
    { service: 'metering', url: config.METERING_URL, prefixes: ['/api/usage'], access: 'tenant' },
  ]
}
