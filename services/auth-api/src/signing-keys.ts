import type { KeyObject } from 'node:crypto'
import { generateSigningKey, importSigningKey, type SigningAlg, type SigningKey } from '@gatehouse/crypto'
import type { Database } from '@gatehouse/db-kit'
import type { Clock } from '@gatehouse/service-kit'
import { desc, gt, isNull, or, sql } from 'drizzle-orm'
import { type CryptoKey, importJWK, type JWK } from 'jose'
import { signingKeys } from './db/schema/index.ts'

// Two replicas starting on an empty table must not both create a key, nor race a rotation.
const lockKeys = sql`select pg_advisory_xact_lock(hashtext('gatehouse:auth-api:signing-keys'))`

async function insertNewKey(tx: Database, now: Date): Promise<string> {
  const key = await generateSigningKey('EdDSA')
  await tx.insert(signingKeys).values({
    kid: key.kid,
    alg: key.alg,
    publicJwk: key.publicJwk,
    privateJwk: key.privateJwk,
    createdAt: now,
  })
  return key.kid
}

/** Creates the first signing key if there is no active one (first start). */
export async function ensureActiveSigningKey(db: Database, now: Date): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(lockKeys)
    const [active] = await tx
      .select({ kid: signingKeys.kid })
      .from(signingKeys)
      .where(isNull(signingKeys.retiredAt))
    if (!active) await insertNewKey(tx, now)
  })
}

/** A new key signs from now on; the old one is retired but stays in the JWKS while its tokens can be alive. */
export async function rotateSigningKey(db: Database, now: Date): Promise<string> {
  return db.transaction(async (tx) => {
    await tx.execute(lockKeys)
    await tx.update(signingKeys).set({ retiredAt: now }).where(isNull(signingKeys.retiredAt))
    return insertNewKey(tx, now)
  })
}

export interface KeyRingSettings {
  clock: Clock
  /** How long other replicas may keep signing with a key after its rotation (the cache age). */
  cacheSeconds: number
  /** Access-token lifetime: a retired key is published until every token it signed has expired. */
  accessTokenTtlSeconds: number
}

interface PublishedKey {
  alg: SigningAlg
  jwk: JWK
  key: CryptoKey | KeyObject
}

interface LoadedKeys {
  loadedAt: number
  signing: SigningKey
  published: Map<string, PublishedKey>
}

// An unknown kid reloads the keys (another replica may have rotated), at most this often.
const UNKNOWN_KID_RELOAD_MS = 5000
const CLOCK_SKEW_SECONDS = 60

export interface SigningKeyRing {
  signingKey(): Promise<SigningKey>
  publicJwks(): Promise<JWK[]>
  verificationKey(kid: string): Promise<PublishedKey | undefined>
}

/** Keys are read lazily and cached, so the service starts (and reports 503) while the database is down. */
export function createSigningKeyRing(db: Database, settings: KeyRingSettings): SigningKeyRing {
  const publishRetiredMs =
    (settings.accessTokenTtlSeconds + settings.cacheSeconds + CLOCK_SKEW_SECONDS) * 1000
  let loaded: LoadedKeys | undefined
  let loading: Promise<LoadedKeys> | undefined

  const selectPublished = (now: Date) =>
    db
      .select()
      .from(signingKeys)
      .where(
        or(
          isNull(signingKeys.retiredAt),
          gt(signingKeys.retiredAt, new Date(now.getTime() - publishRetiredMs)),
        ),
      )
      .orderBy(desc(signingKeys.createdAt))

  async function load(): Promise<LoadedKeys> {
    const now = settings.clock()
    let rows = await selectPublished(now)
    if (!rows.some((row) => row.retiredAt === null)) {
      await ensureActiveSigningKey(db, now)
      rows = await selectPublished(now)
    }
    const active = rows.find((row) => row.retiredAt === null)
    if (!active) throw new Error('no active signing key')
    const published = new Map<string, PublishedKey>()
    for (const row of rows) {
      const alg = row.alg as SigningAlg
      const key = await importJWK(row.publicJwk, alg)
      if (key instanceof Uint8Array) throw new Error(`signing key ${row.kid} is not an asymmetric key`)
      published.set(row.kid, { alg, jwk: row.publicJwk, key })
    }
    return { loadedAt: now.getTime(), signing: await importSigningKey(active.privateJwk), published }
  }

  function keysNotOlderThan(maxAgeMs: number): Promise<LoadedKeys> {
    const age = loaded ? settings.clock().getTime() - loaded.loadedAt : Number.POSITIVE_INFINITY
    if (loaded && age >= 0 && age < maxAgeMs) return Promise.resolve(loaded)
    loading ??= load()
      .then((keys) => {
        loaded = keys
        return keys
      })
      .finally(() => {
        loading = undefined
      })
    return loading
  }

  const cacheMs = settings.cacheSeconds * 1000
  return {
    signingKey: async () => (await keysNotOlderThan(cacheMs)).signing,
    publicJwks: async () => [...(await keysNotOlderThan(cacheMs)).published.values()].map((key) => key.jwk),
    verificationKey: async (kid) => {
      const keys = await keysNotOlderThan(cacheMs)
      if (keys.published.has(kid)) return keys.published.get(kid)
      return (await keysNotOlderThan(UNKNOWN_KID_RELOAD_MS)).published.get(kid)
    },
  }
}
