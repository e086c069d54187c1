import { serviceDatabaseEnvVar } from '@gatehouse/db-kit'

/**
 * How the gateway lets callers in. `public`: anyone, limited per client IP (the upstream authenticates).
 * `tenant`: an API key, or a user token plus x-tenant-id with membership. `gateway`: served by the gateway itself.
 */
export type Access = 'public' | 'tenant' | 'gateway'

export interface ServiceEntry {
  name: string
  /** Default listen port (PORT), the port `pnpm start` and compose use. */
  port: number
  /** Public path prefixes, as the gateway receives and forwards them; the first one also serves health/ready. */
  publicPrefixes: readonly string[]
  access: Access
  /**
   * The largest request body the gateway forwards to it (its largest route limit): bigger ones are refused at the
   * gateway with 413 before they reach it. Default DEFAULT_MAX_BODY_BYTES, createService's own default limit.
   */
  maxBodyBytes?: number
}

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024

/**
 * The one service table (ARCHITECTURE.md, "Request path"), in migration order. `pnpm start`, the migrate CLI,
 * the gateway's route table, every config's PORT default and the compose test read it: adding a service is one
 * entry here plus its folder.
 */
export const SERVICES = [
  // /.well-known: the JWKS and OIDC discovery, reachable through the gateway like the rest of the public API.
  {
    name: 'auth-api',
    port: 3001,
    publicPrefixes: ['/api/auth', '/.well-known'],
    access: 'public',
    maxBodyBytes: 16 * 1024,
  },
  { name: 'qr-auth', port: 3002, publicPrefixes: ['/api/qr'], access: 'public', maxBodyBytes: 16 * 1024 },
  { name: 'tenant-gateway', port: 8080, publicPrefixes: ['/api/tenants', '/api/keys'], access: 'gateway' },
  {
    name: 'bom-triggers',
    port: 3003,
    publicPrefixes: ['/api/bom-triggers', '/api/tasks', '/api/materials'],
    access: 'tenant',
  },
  // POST /api/usage/events takes batches of up to 2 MiB.
  {
    name: 'metering',
    port: 3004,
    publicPrefixes: ['/api/usage'],
    access: 'tenant',
    maxBodyBytes: 2 * 1024 * 1024,
  },
] as const satisfies readonly ServiceEntry[]

export type ServiceName = (typeof SERVICES)[number]['name']

export function serviceNamed(name: ServiceName): ServiceEntry {
  const entry = SERVICES.find((service) => service.name === name)
  if (!entry) throw new Error(`unknown service: ${name}`)
  return entry
}

/** The services behind the gateway, each forwarded to by its public prefixes. */
export function upstreamServices(): ServiceEntry[] {
  return SERVICES.filter((service) => service.access !== 'gateway')
}

/** `bom-triggers` → `BOM_TRIGGERS`: the error-code prefix and the stem of its variables. */
export function envStemOf(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]+/g, '_')
}

/** The gateway's variable for an upstream's base URL: `AUTH_API_URL`. */
export function upstreamUrlEnvOf(name: string): string {
  return `${envStemOf(name)}_URL`
}

/** The operators' variable for a service's database: `AUTH_API_DATABASE_URL`. */
export function databaseEnvOf(name: string): string {
  return serviceDatabaseEnvVar(name)
}
