import Type from 'typebox'
import { NullableTimestamp, Timestamp, Uuid } from '../schemas.ts'

export const Scopes = Type.Array(
  Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9:._*-]+$' }),
  {
    maxItems: 50,
  },
)

export const TenantKeyParams = Type.Object({ id: Uuid, keyId: Uuid })

/** Listings: prefix, name, scopes, dates. No key, no hash: the serializer drops anything else. */
export const KeyView = Type.Object({
  id: Uuid,
  name: Type.String(),
  prefix: Type.String(),
  scopes: Type.Array(Type.String()),
  expiresAt: NullableTimestamp,
  lastUsedAt: NullableTimestamp,
  revokedAt: NullableTimestamp,
  replacedById: Type.Union([Uuid, Type.Null()]),
  createdAt: Timestamp,
})

/** The only response that carries a raw key: creation and rotation, once. */
export const IssuedKey = Type.Object({ ...KeyView.properties, key: Type.String() })
