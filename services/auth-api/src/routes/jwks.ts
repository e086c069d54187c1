import type { ServiceInstance } from '@gatehouse/service-kit'
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

/** The active key and the retired ones whose tokens may still be alive, so a rotation never breaks a live token. */
export async function jwksRoutes(app: ServiceInstance, { signingKeys }: { signingKeys: SigningKeyRing }) {
  app.get(
    '/.well-known/jwks.json',
    { schema: { response: { 200: Type.Object({ keys: Type.Array(PublicJwk) }) } } },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=60')
      return { keys: (await signingKeys.publicJwks()) as Array<Type.Static<typeof PublicJwk>> }
    },
  )
}
