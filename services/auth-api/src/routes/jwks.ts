import { SECURITY, type ServiceInstance } from '@gatehouse/service-kit'
import Type from 'typebox'
import type { SigningKeyRing } from '../signing-keys.ts'

const PublicJwk = Type.Object({
  kty: Type.String(),
  crv: Type.String(),
  x: Type.String(),
  y: Type.Optional(Type.String()),
  kid: Type.String(),
  alg: Type.String(),
  use: Type.String(),
})

const Discovery = Type.Object({
  issuer: Type.String(),
  jwks_uri: Type.String(),
  subject_types_supported: Type.Array(Type.String()),
  id_token_signing_alg_values_supported: Type.Array(Type.String()),
  claims_supported: Type.Array(Type.String()),
})

export interface JwksRouteDeps {
  signingKeys: SigningKeyRing
  /** JWT_ISSUER: the `iss` of our tokens. */
  issuer: string
  /** PUBLIC_URL: where clients reach us (the gateway), so jwks_uri is a URL they can fetch. */
  publicUrl: string
}

/**
 * The active key and the retired ones whose tokens may still be alive, so a rotation never breaks a live token;
 * and OIDC discovery naming the issuer and the JWKS, for libraries that find keys that way.
 */
export async function jwksRoutes(app: ServiceInstance, { signingKeys, issuer, publicUrl }: JwksRouteDeps) {
  const discovery = {
    issuer,
    jwks_uri: new URL('/.well-known/jwks.json', publicUrl).toString(),
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['EdDSA', 'ES256'],
    claims_supported: ['sub', 'sid', 'iss', 'aud', 'iat', 'exp'],
  }
  app.get(
    '/.well-known/openid-configuration',
    {
      config: { problems: [] },
      schema: {
        summary: 'OpenID discovery',
        security: SECURITY.public,
        response: { 200: Discovery },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300')
      return discovery
    },
  )

  app.get(
    '/.well-known/jwks.json',
    {
      config: { problems: [] },
      schema: {
        summary: 'Access-token verification keys (JWKS)',
        security: SECURITY.public,
        response: { 200: Type.Object({ keys: Type.Array(PublicJwk) }) },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=60')
      return { keys: (await signingKeys.publicJwks()) as Array<Type.Static<typeof PublicJwk>> }
    },
  )
}
