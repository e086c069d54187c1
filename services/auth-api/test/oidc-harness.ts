import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { freePort } from '@gatehouse/service-kit/testing'
import Provider from 'oidc-provider'

export interface ProviderAccount {
  email?: string
  email_verified?: boolean
  name?: string
}

export const CLIENT_ID = 'gatehouse-test'
export const CLIENT_SECRET = 'gatehouse-test-client-secret-0123456789'

/**
 * A real OpenID Connect provider (oidc-provider, with its development login and consent pages) on loopback,
 * behind a small pass-through proxy on the issuer's port: the proxy is what a test closes to take the provider
 * down, or tells to alter the ID token in the token endpoint's answer.
 */
export interface OidcHarness {
  issuer: string
  accounts: Map<string, ProviderAccount>
  /**
   * While set, the token endpoint's ID token has its payload changed by this: its signature kept (a forgery), or,
   * with `resignIdToken`, signed again with the provider's own key (a valid signature over wrong claims).
   */
  tamperIdToken: ((claims: Record<string, unknown>) => void) | undefined
  resignIdToken: boolean
  /** While set, requests whose path starts with `path` get `status` from the proxy instead of the provider. */
  failing: { path: string; status: number } | undefined
  /** Refuses connections on the issuer's port until up(). */
  down(): Promise<void>
  up(): Promise<void>
  close(): Promise<void>
}

export async function startOidcProvider(options: { redirectUris: string[] }): Promise<OidcHarness> {
  const issuerPort = await freePort()
  const issuer = `http://127.0.0.1:${issuerPort}`
  const accounts = new Map<string, ProviderAccount>()
  // The provider's signing key, known here so a test can sign an ID token the JWKS vouches for.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const signingJwk = {
    ...privateKey.export({ format: 'jwk' }),
    kid: 'harness-rs256',
    use: 'sig',
    alg: 'RS256',
  }
  const provider = new Provider(issuer, {
    jwks: { keys: [signingJwk] },
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: options.redirectUris,
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    cookies: { keys: ['oidc-harness-cookie-key-0123456789'] },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      Grant: 3600,
      IdToken: 600,
      Interaction: 600,
      Session: 3600,
    },
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, ...accounts.get(sub) }),
    }),
  })
  const inner = createServer(provider.callback())
  await new Promise<void>((resolve) => inner.listen(0, '127.0.0.1', resolve))
  const innerPort = (inner.address() as AddressInfo).port

  const harness: OidcHarness = {
    issuer,
    accounts,
    tamperIdToken: undefined,
    resignIdToken: false,
    failing: undefined,
    down: () => closeServer(front),
    up: async () => {
      front = proxy()
      await new Promise<void>((resolve) => front.listen(issuerPort, '127.0.0.1', resolve))
    },
    close: async () => {
      await closeServer(front)
      await closeServer(inner)
    },
  }

  const proxy = () =>
    createServer((incoming, outgoing) => {
      const failing = harness.failing
      if (failing && incoming.url?.startsWith(failing.path)) {
        incoming.resume()
        outgoing.writeHead(failing.status, { 'content-type': 'application/json' })
        outgoing.end(JSON.stringify({ error: 'server_error' }))
        return
      }
      const upstream = httpRequest(
        {
          host: '127.0.0.1',
          port: innerPort,
          method: incoming.method,
          path: incoming.url,
          headers: incoming.headers,
        },
        (answer) => {
          const tamper = harness.tamperIdToken
          if (!(tamper && incoming.url?.startsWith('/token'))) {
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
            answer.pipe(outgoing)
            return
          }
          readAll(answer).then((body) => {
            const key = harness.resignIdToken ? privateKey : undefined
            const tampered = Buffer.from(tamperIdToken(body.toString('utf8'), tamper, key))
            outgoing.writeHead(answer.statusCode ?? 502, {
              ...answer.headers,
              'content-length': tampered.length,
            })
            outgoing.end(tampered)
          })
        },
      )
      upstream.on('error', () => outgoing.destroy())
      incoming.pipe(upstream)
    })
  let front: Server = proxy()
  await new Promise<void>((resolve) => front.listen(issuerPort, '127.0.0.1', resolve))
  return harness
}

function tamperIdToken(
  json: string,
  change: (claims: Record<string, unknown>) => void,
  resignWith: KeyObject | undefined,
): string {
  const body = JSON.parse(json) as { id_token?: string }
  if (!body.id_token) return json
  const [header, payload, signature] = body.id_token.split('.') as [string, string, string]
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  change(claims)
  const forged = Buffer.from(JSON.stringify(claims)).toString('base64url')
  // RS256: RSASSA-PKCS1-v1_5 over SHA-256, node's default padding for an RSA key.
  const signed = resignWith
    ? sign('sha256', Buffer.from(`${header}.${forged}`), resignWith).toString('base64url')
    : signature
  return JSON.stringify({ ...body, id_token: `${header}.${forged}.${signed}` })
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve()
    server.closeAllConnections()
    server.close(() => resolve())
  })
}
