import { type Access, DEFAULT_MAX_BODY_BYTES, upstreamServices } from '@gatehouse/service-kit'
import type { Config } from '../config.ts'

/** `tenant`: API key, or user token + x-tenant-id with membership. `public`: anyone, limited per client IP. */
export type UpstreamAccess = Exclude<Access, 'gateway'>

export interface Upstream {
  service: string
  url: string
  prefixes: readonly string[]
  access: UpstreamAccess
  /** Bodies over this are refused here with 413 (the registry's maxBodyBytes). */
  maxBodyBytes: number
}

/**
 * The public route table, from the service registry: each upstream's public prefixes and access, at its URL from
 * the config. Upstreams serve the same paths the gateway receives.
 */
export function upstreamsOf(config: Pick<Config, 'upstreamUrls'>): Upstream[] {
  const upstreams: Upstream[] = []
  for (const { name, publicPrefixes, access, maxBodyBytes } of upstreamServices()) {
    if (access === 'gateway') continue // never listed by upstreamServices(); narrows the type
    const url = config.upstreamUrls[name]
    if (!url) throw new Error(`no URL configured for upstream ${name}`)
    upstreams.push({
      service: name,
      url,
      prefixes: publicPrefixes,
      access,
      maxBodyBytes: maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    })
  }
  return upstreams
}

/**
 * Upstream liveness/readiness stay reachable without credentials, like the gateway's own (`curl
 * :8080/api/usage/health`): GET and HEAD only, so no other method reaches an upstream unauthenticated this way.
 */
export function isProbe(method: string, url: string): boolean {
  return (
    (method === 'GET' || method === 'HEAD') &&
    (url.includes('/health') || url.includes('/ready')) &&
    /^\/api\/[a-z-]+\/(health|ready)$/.test(url.split('?')[0] ?? url)
  )
}

/**
 * Service-to-service endpoints are never reachable from outside, whatever prefix an upstream mounts them under
 * (`/internal/*`, `/api/auth/internal/*`, an encoded `%69nternal`...).
 */
export function isInternalPath(url: string): boolean {
  const path = url.split('?')[0] ?? url
  // Most paths have neither an escape nor the word: no decoding, no split (this runs on every proxied request).
  if (!path.includes('%') && !path.toLowerCase().includes('internal')) return false
  let decoded: string
  try {
    decoded = decodeURIComponent(path)
  } catch {
    return true
  }
  return decoded
    .toLowerCase()
    .split('/')
    .some((segment) => segment === 'internal')
}
