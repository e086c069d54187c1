import { safeEqual } from '@gatehouse/crypto'
import type { Database } from '@gatehouse/db-kit'
import { type Clock, SECURITY, type ServiceInstance } from '@gatehouse/service-kit'
import * as client from 'openid-client'
import Type from 'typebox'
import { errors } from '../errors.ts'
import { type AuthenticateDeps, authenticate } from '../http/authenticate.ts'
import { clientInfo } from '../http/client-info.ts'
import type { MfaCookie } from '../http/mfa-cookie.ts'
import { BearerHeaders, DateTime, Uuid } from '../http/schemas.ts'
import { type GrantDeps, sendGrant } from '../http/token-grant.ts'
import { listIdentities, unlinkIdentity } from '../oauth/identities.ts'
import type { OAuthProvider } from '../oauth/providers.ts'
import { allowedReturnUrl, withParam } from '../oauth/return-urls.ts'
import { type OAuthSignInSettings, signInWithIdentity } from '../oauth/sign-in.ts'
import type { OAuthStateCookie } from '../oauth/state-cookie.ts'
import type { SessionRevocations } from '../session-revocations.ts'
import { AUTHENTICATION_PROBLEMS } from './problems.ts'

export interface OAuthRouteDeps extends AuthenticateDeps, GrantDeps {
  db: Database
  clock: Clock
  providers: Map<string, OAuthProvider>
  stateCookie: OAuthStateCookie
  mfaCookie: MfaCookie
  /** OAUTH_RETURN_URLS: where the callback may send the browser; the first is the default. */
  returnUrls: string[]
  /** PUBLIC_URL: the callback URL as the provider redirected to it (behind the gateway). */
  publicUrl: string
  stateTtlSeconds: number
  signIn: OAuthSignInSettings
  /** Tells the gateway which sessions linking by verified email ended. */
  revocations: SessionRevocations
}

const ProviderParams = Type.Object({ provider: Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' }) })
const ReturnTo = Type.Optional(Type.String({ minLength: 1, maxLength: 2048 }))
const Redirect = { 302: Type.Null({ description: 'Location: the provider, or the return URL' }) }

/** Starting a sign-in or a link: the provider by name, the return URL, the provider's discovery document. */
const START_PROBLEMS = [
  errors.OAUTH_PROVIDER_UNKNOWN,
  errors.OAUTH_RETURN_URL_REFUSED,
  errors.OAUTH_PROVIDER_UNAVAILABLE,
  errors.OAUTH_PROVIDER_ERROR,
]

/**
 * /api/auth/oauth: sign-in with a provider (authorization code + PKCE S256, state and nonce in a sealed cookie),
 * linking a provider to the signed-in account, and /api/auth/identities.
 */
export async function oauthRoutes(app: ServiceInstance, deps: OAuthRouteDeps) {
  const { db, clock, providers, stateCookie } = deps

  const providerNamed = (name: string) => {
    const provider = providers.get(name)
    if (!provider) throw errors.OAUTH_PROVIDER_UNKNOWN(`No provider "${name}" is configured here.`)
    return provider
  }
  const returnUrlOf = (requested: string | undefined) => {
    const url = requested === undefined ? deps.returnUrls[0] : allowedReturnUrl(requested, deps.returnUrls)
    if (!url) throw errors.OAUTH_RETURN_URL_REFUSED('This return URL is not in OAUTH_RETURN_URLS.')
    return url
  }
  /** A fresh state, nonce and PKCE verifier in the cookie; the provider's authorization URL to send the browser to. */
  const begin = async (
    reply: Parameters<OAuthStateCookie['set']>[0],
    provider: OAuthProvider,
    returnTo: string,
    linkUserId?: string,
  ) => {
    const request = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier: client.randomPKCECodeVerifier(),
    }
    const url = await provider.authorizationUrl(request)
    stateCookie.set(
      reply,
      {
        provider: provider.config.name,
        ...request,
        returnTo,
        ...(linkUserId ? { linkUserId } : {}),
        expiresAt: clock().getTime() + deps.stateTtlSeconds * 1000,
      },
      deps.stateTtlSeconds,
    )
    reply.header('cache-control', 'no-store')
    return url
  }

  app.get(
    '/oauth/providers',
    {
      config: { problems: [] },
      schema: {
        summary: 'List sign-in providers',
        security: SECURITY.public,
        response: {
          200: Type.Object({
            providers: Type.Array(
              Type.Object({
                name: Type.String(),
                label: Type.String(),
                kind: Type.Union([Type.Literal('oidc'), Type.Literal('github')]),
              }),
            ),
          }),
        },
      },
    },
    async () => ({
      providers: [...providers.values()].map(({ config }) => ({
        name: config.name,
        label: config.label,
        kind: config.kind,
      })),
    }),
  )

  app.get(
    '/oauth/:provider',
    {
      config: { problems: START_PROBLEMS },
      schema: {
        summary: 'Sign in with a provider',
        description:
          'Redirects the browser to the provider (authorization code with PKCE) and sets the oauth_state cookie.',
        security: SECURITY.public,
        params: ProviderParams,
        querystring: Type.Object({ returnTo: ReturnTo }),
        response: Redirect,
      },
    },
    async (request, reply) => {
      const provider = providerNamed(request.params.provider)
      const url = await begin(reply, provider, returnUrlOf(request.query.returnTo))
      return reply.redirect(url.toString(), 302)
    },
  )

  app.post(
    '/oauth/:provider/link',
    {
      config: { problems: [...AUTHENTICATION_PROBLEMS, ...START_PROBLEMS] },
      schema: {
        summary: 'Link a provider to my account',
        description:
          'Answers the provider URL to open in the same browser (the oauth_state cookie is set with this answer).',
        security: SECURITY.user,
        headers: BearerHeaders,
        params: ProviderParams,
        body: Type.Union([Type.Object({ returnTo: ReturnTo }), Type.Null()]),
        response: { 200: Type.Object({ authorizationUrl: Type.String() }) },
      },
    },
    async (request, reply) => {
      const { user } = await authenticate(deps, request)
      const provider = providerNamed(request.params.provider)
      const url = await begin(reply, provider, returnUrlOf(request.body?.returnTo), user.id)
      return { authorizationUrl: url.toString() }
    },
  )

  app.get(
    '/oauth/:provider/callback',
    {
      config: {
        problems: [
          errors.OAUTH_PROVIDER_UNKNOWN,
          errors.OAUTH_STATE_INVALID,
          // providerProblem (oauth/provider-errors.ts), while redeeming the code
          errors.OAUTH_DENIED,
          errors.OAUTH_CODE_REJECTED,
          errors.OAUTH_INVALID_ID_TOKEN,
          errors.OAUTH_PROVIDER_ERROR,
          errors.OAUTH_PROVIDER_UNAVAILABLE,
          // signInWithIdentity (oauth/sign-in.ts)
          errors.OAUTH_IDENTITY_IN_USE,
          errors.OAUTH_EMAIL_REQUIRED,
          errors.OAUTH_EMAIL_NOT_VERIFIED,
          errors.EMAIL_TAKEN,
          errors.USER_NOT_FOUND,
        ],
      },
      schema: {
        summary: 'Provider callback',
        description:
          'Where the provider sends the browser back; needs the oauth_state cookie set by the start. Redirects to the return URL with the refresh cookie, ?mfa=required or ?linked=<provider>.',
        security: SECURITY.public,
        params: ProviderParams,
        // Providers add their own parameters (iss, session_state, scope...): all of them reach openid-client.
        querystring: Type.Object(
          {
            code: Type.Optional(Type.String({ maxLength: 2048 })),
            state: Type.Optional(Type.String({ maxLength: 512 })),
            error: Type.Optional(Type.String({ maxLength: 256 })),
          },
          { additionalProperties: true },
        ),
        response: Redirect,
      },
    },
    async (request, reply) => {
      const provider = providerNamed(request.params.provider)
      const now = clock()
      const saved = stateCookie.read(request, provider.config.name, now)
      // Spent whatever happens next: a callback is answered once per sign-in.
      stateCookie.clear(reply)
      if (!saved || !safeEqual(request.query.state ?? '', saved.state)) {
        throw errors.OAUTH_STATE_INVALID('Start the sign-in again from this browser.')
      }
      const callbackUrl = new URL(request.url, deps.publicUrl)
      const identity = await provider.complete(callbackUrl, saved)
      const outcome = await signInWithIdentity(
        db,
        {
          provider: provider.config.name,
          identity,
          ...(saved.linkUserId ? { linkUserId: saved.linkUserId } : {}),
          now,
          client: clientInfo(request),
        },
        deps.signIn,
      )
      deps.revocations.revoked(outcome.endedSessionIds)
      reply.header('cache-control', 'no-store')
      if (outcome.kind === 'linked')
        return reply.redirect(withParam(saved.returnTo, 'linked', provider.config.name), 302)
      if (outcome.kind === 'mfa') {
        deps.mfaCookie.set(reply, outcome.challenge.token, deps.signIn.mfaChallengeTtlSeconds)
        return reply.redirect(withParam(saved.returnTo, 'mfa', 'required'), 302)
      }
      // The same session and refresh cookie as a password login; the page at the return URL calls /refresh.
      await sendGrant(deps, request, reply, {
        ...outcome.session,
        userId: outcome.user.id,
        sessionExpiresAt: outcome.session.expiresAt,
      })
      return reply.redirect(saved.returnTo, 302)
    },
  )

  app.get(
    '/identities',
    {
      config: { problems: AUTHENTICATION_PROBLEMS },
      schema: {
        summary: 'List my linked identities',
        security: SECURITY.user,
        headers: BearerHeaders,
        response: {
          200: Type.Object({
            hasPassword: Type.Boolean(),
            identities: Type.Array(
              Type.Object({
                id: Uuid,
                provider: Type.String(),
                email: Type.Union([Type.String(), Type.Null()]),
                emailVerified: Type.Boolean(),
                createdAt: DateTime,
                lastUsedAt: DateTime,
              }),
            ),
          }),
        },
      },
    },
    async (request, reply) => {
      const { user } = await authenticate(deps, request)
      const rows = await listIdentities(db, user.id)
      reply.header('cache-control', 'no-store')
      return {
        hasPassword: user.passwordHash !== null,
        identities: rows.map((row) => ({
          id: row.id,
          provider: row.provider,
          email: row.email,
          emailVerified: row.emailVerified,
          createdAt: row.createdAt.toISOString(),
          lastUsedAt: row.lastUsedAt.toISOString(),
        })),
      }
    },
  )

  app.delete(
    '/identities/:id',
    {
      config: {
        problems: [
          ...AUTHENTICATION_PROBLEMS,
          errors.USER_NOT_FOUND,
          errors.IDENTITY_NOT_FOUND,
          errors.LAST_SIGN_IN_METHOD,
        ],
      },
      schema: {
        summary: 'Unlink an identity',
        security: SECURITY.user,
        headers: BearerHeaders,
        params: Type.Object({ id: Uuid }),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const { user } = await authenticate(deps, request)
      await unlinkIdentity(db, {
        userId: user.id,
        identityId: request.params.id,
        now: clock(),
        client: clientInfo(request),
      })
      return reply.code(204).send(null)
    },
  )
}
