import * as client from 'openid-client'
import { errors } from '../errors.ts'
import { isLoopback, type OAuthProviderConfig } from './provider-config.ts'
import { providerProblem } from './provider-errors.ts'

/** Who the provider says signed in. */
export interface ProviderIdentity {
  subject: string
  email?: string
  emailVerified: boolean
  name?: string
}

export interface AuthorizationRequest {
  state: string
  nonce: string
  codeVerifier: string
}

export interface OAuthProvider {
  config: OAuthProviderConfig
  authorizationUrl(request: AuthorizationRequest): Promise<URL>
  /** Exchanges the code of the callback URL; validates state, PKCE and (OIDC) the ID token. */
  complete(callbackUrl: URL, request: AuthorizationRequest): Promise<ProviderIdentity>
}

const RETRY_DISCOVERY_AFTER_MS = 5000

/** One client per configured provider; discovery happens on first use and is retried after a failure. */
export function createOAuthProvider(
  config: OAuthProviderConfig,
  { timeoutSeconds }: { timeoutSeconds: number },
): OAuthProvider {
  const configure = (configuration: client.Configuration) => {
    configuration.timeout = timeoutSeconds
    return configuration
  }
  const insecure = (url: string) => new URL(url).protocol === 'http:' && isLoopback(new URL(url).hostname)
  let discovered: Promise<client.Configuration> | undefined
  let failedAt = 0

  async function configuration(): Promise<client.Configuration> {
    if (github) return github
    if (!discovered || (failedAt && Date.now() - failedAt > RETRY_DISCOVERY_AFTER_MS)) {
      failedAt = 0
      const issuer = config.issuer as string
      discovered = client
        .discovery(new URL(issuer), config.clientId, config.clientSecret, undefined, {
          timeout: timeoutSeconds,
          // The ID token's signature is checked against the provider's JWKS, not only trusted for coming over TLS.
          execute: [
            ...(insecure(issuer) ? [client.allowInsecureRequests] : []),
            client.enableNonRepudiationChecks,
          ],
        })
        .then(configure)
      discovered.catch(() => {
        failedAt = Date.now()
      })
    }
    return discovered
  }

  // GitHub publishes no discovery document: its two endpoints are fixed (or a GitHub Enterprise host's).
  const githubBase = config.kind === 'github' ? config.githubBaseUrl : undefined
  const github = githubBase
    ? configure(
        new client.Configuration(
          {
            issuer: githubBase,
            authorization_endpoint: `${githubBase}/login/oauth/authorize`,
            token_endpoint: `${githubBase}/login/oauth/access_token`,
          },
          config.clientId,
          config.clientSecret,
        ),
      )
    : undefined
  if (github && githubBase && insecure(githubBase)) client.allowInsecureRequests(github)

  const guarded = async <T>(work: () => Promise<T>, idTokenExpected = false): Promise<T> => {
    try {
      return await work()
    } catch (error) {
      throw providerProblem(config.label, error, { idTokenExpected })
    }
  }

  return {
    config,

    authorizationUrl: (request) =>
      guarded(async () => {
        const parameters: Record<string, string> = {
          redirect_uri: config.redirectUri,
          scope: config.scopes.join(' '),
          state: request.state,
          code_challenge: await client.calculatePKCECodeChallenge(request.codeVerifier),
          code_challenge_method: 'S256',
        }
        if (config.kind === 'oidc') parameters.nonce = request.nonce
        return client.buildAuthorizationUrl(await configuration(), parameters)
      }),

    complete: (callbackUrl, request) =>
      guarded(async () => {
        const tokens = await client.authorizationCodeGrant(await configuration(), callbackUrl, {
          pkceCodeVerifier: request.codeVerifier,
          expectedState: request.state,
          ...(config.kind === 'oidc' ? { expectedNonce: request.nonce, idTokenExpected: true } : {}),
        })
        if (config.kind === 'github') return githubIdentity(config, tokens.access_token, timeoutSeconds)
        const claims = tokens.claims()
        if (!claims) throw errors.OAUTH_INVALID_ID_TOKEN(`${config.label} sent no ID token.`)
        let { email, email_verified: emailVerified, name } = claims as Record<string, unknown>
        if (email === undefined && (await configuration()).serverMetadata().userinfo_endpoint) {
          // Some providers put the email only in the userinfo answer; its `sub` must match the ID token's.
          const info = await client.fetchUserInfo(await configuration(), tokens.access_token, claims.sub)
          ;({ email, email_verified: emailVerified, name } = { ...info, ...(name ? { name } : {}) })
        }
        return {
          subject: claims.sub,
          ...(typeof email === 'string' ? { email } : {}),
          emailVerified: emailVerified === true,
          ...(typeof name === 'string' ? { name } : {}),
        }
      }, config.kind === 'oidc'),
  }
}

/** GitHub is plain OAuth 2: who signed in comes from its API, the verified primary email from /user/emails. */
async function githubIdentity(
  config: OAuthProviderConfig,
  accessToken: string,
  timeoutSeconds: number,
): Promise<ProviderIdentity> {
  const get = async (path: string) => {
    const response = await fetch(`${config.githubApiUrl}${path}`, {
      headers: {
        authorization: `Bearer ${accessToken}`,
        accept: 'application/vnd.github+json',
        'user-agent': 'gatehouse-auth-api',
      },
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
    })
    if (response.status >= 500) throw new TypeError(`GitHub answered ${response.status}`)
    if (!response.ok) throw errors.OAUTH_PROVIDER_ERROR(`GitHub refused ${path} (${response.status}).`)
    return response.json() as Promise<unknown>
  }
  const user = (await get('/user')) as { id?: unknown; name?: unknown; login?: unknown }
  if (typeof user.id !== 'number' && typeof user.id !== 'string')
    throw errors.OAUTH_PROVIDER_ERROR('GitHub sent no user id.')
  const emails = (await get('/user/emails')) as Array<{
    email?: unknown
    primary?: unknown
    verified?: unknown
  }>
  const primary = Array.isArray(emails)
    ? (emails.find((entry) => entry.primary === true && entry.verified === true) ??
      emails.find((entry) => entry.primary === true))
    : undefined
  const name =
    typeof user.name === 'string' ? user.name : typeof user.login === 'string' ? user.login : undefined
  return {
    subject: String(user.id),
    ...(typeof primary?.email === 'string' ? { email: primary.email } : {}),
    emailVerified: primary?.verified === true,
    ...(name ? { name } : {}),
  }
}
