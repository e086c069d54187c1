import { createdAt, id, timestamptz } from '@gatehouse/db-kit/columns'
import { sql } from 'drizzle-orm'
import { type AnyPgColumn, index, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core'
import { clients } from './clients.ts'

/** Many keys per tenant. Only the peppered hash is stored (seed 004 `api_keys`). */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: id(),
    clientId: uuid()
      .notNull()
      .references(() => clients.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    /** First characters of the key, shown in listings to tell keys apart; never enough to use it. */
    keyPrefix: text().notNull(),
    /** HMAC-SHA256(API_KEY_PEPPER, key) in hex. */
    apiKeyHash: text('api_key_hash').notNull().unique(),
    pepperVersion: integer().notNull(),
    scopes: text().array().notNull().default(sql`'{}'::text[]`),
    expiresAt: timestamptz(),
    lastUsedAt: timestamptz(),
    revokedAt: timestamptz(),
    /** Set on rotation: the key that replaced this one. */
    replacedById: uuid().references((): AnyPgColumn => apiKeys.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (table) => [
    index('api_keys_client_id_idx').on(table.clientId),
    index('api_keys_pepper_version_idx').on(table.pepperVersion),
  ],
)
