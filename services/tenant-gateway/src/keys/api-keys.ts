import {
  API_KEY_PREFIX,
  apiKeyDisplayPrefix,
  createPepperedHasher,
  generateApiKey,
  isWellFormedApiKey,
} from '@gatehouse/crypto'
import type { Database } from '@gatehouse/db-kit'
import { and, desc, eq, isNull } from 'drizzle-orm'
import type { Config } from '../config.ts'
import { apiKeys } from '../db/schema/index.ts'
import { errors } from '../errors.ts'

export type KeyHasher = ReturnType<typeof createPepperedHasher>
export type ApiKeyRow = typeof apiKeys.$inferSelect

export function keyHasherOf(config: Pick<Config, 'API_KEY_PEPPER' | 'API_KEY_PEPPER_PREVIOUS'>): KeyHasher {
  return createPepperedHasher({ current: config.API_KEY_PEPPER, previous: config.API_KEY_PEPPER_PREVIOUS })
}

// Legacy keys (seed 004 `clients.api_key`) predate the gh_ format: accepted only when LEGACY_API_KEYS is on.
const LEGACY_KEY = /^[A-Za-z0-9._~+/=-]{16,200}$/

export type KeyShape = 'gatehouse' | 'legacy' | 'malformed'

/** Decided before any lookup: a gh_ key with a bad checksum never reaches the database. */
export function keyShapeOf(key: string): KeyShape {
  if (key.startsWith(API_KEY_PREFIX)) return isWellFormedApiKey(key) ? 'gatehouse' : 'malformed'
  return LEGACY_KEY.test(key) ? 'legacy' : 'malformed'
}

/** Legacy keys may be short: show less of them. */
export function displayPrefixOf(key: string): string {
  return key.startsWith(API_KEY_PREFIX) ? apiKeyDisplayPrefix(key) : `${key.slice(0, 4)}…`
}

/** What a listing shows: never the key, never the hash. */
export interface KeyView {
  id: string
  name: string
  prefix: string
  scopes: string[]
  expiresAt: Date | null
  lastUsedAt: Date | null
  revokedAt: Date | null
  replacedById: string | null
  createdAt: Date
}

export function keyViewOf(row: ApiKeyRow): KeyView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.keyPrefix,
    scopes: row.scopes,
    expiresAt: row.expiresAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
    replacedById: row.replacedById,
    createdAt: row.createdAt,
  }
}

export interface NewKey {
  name: string
  scopes: string[]
  expiresAt: Date | null
}

/** The raw key exists only in the return value: it is shown once and cannot be retrieved again. */
export async function createKey(
  db: Database,
  hasher: KeyHasher,
  clientId: string,
  input: NewKey,
  now: Date,
): Promise<{ key: string; view: KeyView }> {
  const { key, displayPrefix } = generateApiKey()
  const { hash, pepperVersion } = hasher.hash(key)
  const [row] = await db
    .insert(apiKeys)
    .values({
      clientId,
      name: input.name,
      keyPrefix: displayPrefix,
      apiKeyHash: hash,
      pepperVersion,
      scopes: input.scopes,
      expiresAt: input.expiresAt,
      createdAt: now,
    })
    .returning()
  return { key, view: keyViewOf(row!) }
}

export async function listKeys(db: Database, clientId: string): Promise<KeyView[]> {
  const rows = await db
    .select()
    .from(apiKeys)
    .where(eq(apiKeys.clientId, clientId))
    .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
  return rows.map(keyViewOf)
}

export async function getKey(db: Database, clientId: string, keyId: string): Promise<KeyView> {
  const [row] = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.clientId, clientId)))
  if (!row) throw errors.KEY_NOT_FOUND()
  return keyViewOf(row)
}

/**
 * A new key with the same name, scopes and expiry; the old one keeps working until now + overlap (0 = at once),
 * or its own earlier expiry (the Unkey reroll / Stripe roll pattern).
 */
export async function rotateKey(
  db: Database,
  hasher: KeyHasher,
  clientId: string,
  keyId: string,
  overlapMs: number,
  now: Date,
): Promise<{ key: string; view: KeyView; previous: KeyView }> {
  return db.transaction(async (tx) => {
    const [old] = await tx
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.id, keyId), eq(apiKeys.clientId, clientId)))
      .for('update')
    if (!old) throw errors.KEY_NOT_FOUND()
    if (old.revokedAt) throw errors.KEY_REVOKED('A revoked key cannot be rotated.')
    const { key, view } = await createKey(
      tx,
      hasher,
      clientId,
      { name: old.name, scopes: old.scopes, expiresAt: old.expiresAt },
      now,
    )
    const overlapEnd = new Date(now.getTime() + overlapMs)
    const [previous] = await tx
      .update(apiKeys)
      .set({
        expiresAt: old.expiresAt && old.expiresAt < overlapEnd ? old.expiresAt : overlapEnd,
        replacedById: view.id,
      })
      .where(eq(apiKeys.id, old.id))
      .returning()
    return { key, view, previous: keyViewOf(previous!) }
  })
}

/** Idempotent: revoking a revoked key keeps its first revocation time. */
export async function revokeKey(db: Database, clientId: string, keyId: string, now: Date): Promise<KeyView> {
  const [row] = await db
    .update(apiKeys)
    .set({ revokedAt: now })
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.clientId, clientId), isNull(apiKeys.revokedAt)))
    .returning()
  return row ? keyViewOf(row) : getKey(db, clientId, keyId)
}
