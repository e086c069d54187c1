import { createdAt, timestamptz } from '@gatehouse/db-kit/columns'
import { jsonb, pgTable, text, varchar } from 'drizzle-orm/pg-core'
import type { JWK } from 'jose'

// Access-token signing keys. The newest unretired key signs; retired keys stay published in the JWKS until
// every token they signed has expired.
export const signingKeys = pgTable('signing_keys', {
  kid: text().primaryKey(),
  alg: varchar({ length: 10 }).notNull(),
  publicJwk: jsonb().$type<JWK>().notNull(),
  privateJwk: jsonb().$type<JWK>().notNull(),
  createdAt: createdAt(),
  retiredAt: timestamptz(),
})
