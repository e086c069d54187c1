import { ConfigError } from '@gatehouse/service-kit'

export type OAuthProviderKind = 'oidc' | 'github'

export interface OAuthProviderConfig {
  /** The name in the URL: /api/auth/oauth/<name>. */
  name: string
  kind: OAuthProviderKind
  /** Shown to people choosing a provider. */
  label: string
  clientId: string
  clientSecret: string
  scopes: string[]
  /** OIDC: the issuer, discovered at `<issuer>/.well-known/openid-configuration`. */
  issuer?: string
  /** GitHub: github.com and api.github.com, or a GitHub Enterprise host. */
  githubBaseUrl?: string
  githubApiUrl?: string
  /** `<PUBLIC_URL>/api/auth/oauth/<name>/callback`, registered at the provider. */
  redirectUri: string
}

const NAME = /^[a-z][a-z0-9-]{0,31}$/
const DEFAULT_SCOPES: Record<OAuthProviderKind, string> = {
  oidc: 'openid email profile',
  github: 'read:user user:email',
}

function envStem(name: string): string {
  return `OAUTH_${name.toUpperCase().replaceAll('-', '_')}`
}

/**
 * Providers from OAUTH_PROVIDERS=<name>,<name> and, for each, OAUTH_<NAME>_CLIENT_ID, _CLIENT_SECRET and either
 * _ISSUER (any OpenID Connect provider) or, for the name `github` (or _KIND=github), GitHub's plain OAuth 2.
 */
export function oauthProvidersFrom(
  list: string,
  env: Record<string, string | undefined>,
  publicUrl: string,
): OAuthProviderConfig[] {
  const names = [
    ...new Set(
      list
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    ),
  ]
  const problems: string[] = []
  const providers: OAuthProviderConfig[] = []
  for (const name of names) {
    const stem = envStem(name)
    const read = (suffix: string) => {
      const value = env[`${stem}_${suffix}`]
      return value === undefined || value === '' ? undefined : value
    }
    if (!NAME.test(name)) {
      problems.push(`OAUTH_PROVIDERS: invalid value (${name}: lower-case letters, digits and dashes)`)
      continue
    }
    const kindValue = read('KIND') ?? (name === 'github' ? 'github' : 'oidc')
    if (kindValue !== 'oidc' && kindValue !== 'github') {
      problems.push(`${stem}_KIND: invalid value (oidc or github)`)
      continue
    }
    const kind: OAuthProviderKind = kindValue
    const clientId = read('CLIENT_ID')
    const clientSecret = read('CLIENT_SECRET')
    if (!clientId) problems.push(`${stem}_CLIENT_ID: is required but not set`)
    if (!clientSecret) problems.push(`${stem}_CLIENT_SECRET: is required but not set`)
    const issuer = read('ISSUER')
    if (kind === 'oidc' && !issuer) problems.push(`${stem}_ISSUER: is required but not set`)
    const urls = {
      issuer,
      githubBaseUrl: kind === 'github' ? (read('BASE_URL') ?? 'https://github.com') : undefined,
      githubApiUrl: kind === 'github' ? (read('API_URL') ?? 'https://api.github.com') : undefined,
    }
    for (const [key, url] of Object.entries(urls)) {
      if (url !== undefined && !isAllowedProviderUrl(url)) {
        const suffix = { issuer: 'ISSUER', githubBaseUrl: 'BASE_URL', githubApiUrl: 'API_URL' }[key]
        problems.push(`${stem}_${suffix}: invalid value (https, or http on a loopback address only)`)
      }
    }
    if (!clientId || !clientSecret || (kind === 'oidc' && !issuer)) continue
    providers.push({
      name,
      kind,
      label: read('LABEL') ?? (kind === 'github' ? 'GitHub' : name),
      clientId,
      clientSecret,
      scopes: (read('SCOPES') ?? DEFAULT_SCOPES[kind]).split(/[\s,]+/).filter(Boolean),
      ...(urls.issuer ? { issuer: urls.issuer } : {}),
      ...(urls.githubBaseUrl ? { githubBaseUrl: urls.githubBaseUrl.replace(/\/$/, '') } : {}),
      ...(urls.githubApiUrl ? { githubApiUrl: urls.githubApiUrl.replace(/\/$/, '') } : {}),
      redirectUri: `${publicUrl.replace(/\/$/, '')}/api/auth/oauth/${name}/callback`,
    })
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return providers
}

/** Plain http only to a provider on this machine (development, tests); anything else must be https. */
export function isAllowedProviderUrl(url: string): boolean {
  if (!URL.canParse(url)) return false
  const { protocol, hostname } = new URL(url)
  if (protocol === 'https:') return true
  return protocol === 'http:' && isLoopback(hostname)
}

export function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname)
}
