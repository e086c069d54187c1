import { sha256Hex } from '@gatehouse/crypto'
import type { Database } from '@gatehouse/db-kit'
import type { Clock } from '@gatehouse/service-kit'
import { and, eq, inArray } from 'drizzle-orm'
import { apiKeys, clients } from '../db/schema/index.ts'
import type { RateLimitPolicy } from '../infra/rate-limit.ts'
import { type TenantQuota, tenantPolicyOf, tenantQuotaOf } from '../tenants/plans.ts'
import { type KeyHasher, keyShapeOf } from './api-keys.ts'
import type { TenantScopedCache } from './key-cache.ts'

/** Unkey's deny reasons, those that apply here. */
export type KeyDenial = 'MALFORMED' | 'NOT_FOUND' | 'REVOKED' | 'EXPIRED' | 'DISABLED'

export interface VerifiedKey {
  keyId: string
  clientId: string
  scopes: string[]
  expiresAt: Date | null
  revokedAt: Date | null
  tenantActive: boolean
  rateLimit: RateLimitPolicy
  quota: TenantQuota
}

export type KeyCheck =
  | { valid: true; key: VerifiedKey }
  | { valid: false; reason: KeyDenial; key?: VerifiedKey }

export interface KeyVerifier {
  verify(rawKey: string): Promise<KeyCheck>
}

function judge(key: VerifiedKey, now: Date): KeyCheck {
  if (key.revokedAt && key.revokedAt <= now) return { valid: false, reason: 'REVOKED', key }
  if (key.expiresAt && key.expiresAt <= now) return { valid: false, reason: 'EXPIRED', key }
  if (!key.tenantActive) return { valid: false, reason: 'DISABLED', key }
  return { valid: true, key }
}

/**
 * Shape and checksum first (no lookup for a typo), then the in-memory cache, then the database under every pepper
 * candidate. A key found under the previous pepper is re-hashed under the
 * current one (Unkey's migrate-on-verify). `onVerified` sees every valid use (last_used_at).
 */
export function createKeyVerifier(deps: {
  db: Database
  hasher: KeyHasher
  cache: TenantScopedCache<VerifiedKey>
  clock: Clock
  acceptLegacy: boolean
  onVerified?: (keyId: string, at: Date) => void
}): KeyVerifier {
  const { db, hasher, cache, clock } = deps

  const load = async (rawKey: string): Promise<VerifiedKey | undefined> => {
    const candidates = hasher.candidates(rawKey)
    const rows = await db
      .select({
        id: apiKeys.id,
        clientId: apiKeys.clientId,
        apiKeyHash: apiKeys.apiKeyHash,
        pepperVersion: apiKeys.pepperVersion,
        scopes: apiKeys.scopes,
        expiresAt: apiKeys.expiresAt,
        revokedAt: apiKeys.revokedAt,
        status: clients.status,
        plan: clients.plan,
        rateLimitMax: clients.rateLimitMax,
        rateLimitWindowMs: clients.rateLimitWindowMs,
        monthlyRequestQuota: clients.monthlyRequestQuota,
        usageAlertPercent: clients.usageAlertPercent,
      })
      .from(apiKeys)
      .innerJoin(clients, eq(clients.id, apiKeys.clientId))
      .where(
        inArray(
          apiKeys.apiKeyHash,
          candidates.map((candidate) => candidate.hash),
        ),
      )
    const row = rows[0]
    if (!row) return undefined
    const current = candidates[0]!
    if (row.apiKeyHash !== current.hash) {
      // Guarded on the old hash so two replicas re-hashing the same key at once both succeed harmlessly.
      await db
        .update(apiKeys)
        .set({ apiKeyHash: current.hash, pepperVersion: current.pepperVersion })
        .where(and(eq(apiKeys.id, row.id), eq(apiKeys.apiKeyHash, row.apiKeyHash)))
    }
    return {
      keyId: row.id,
      clientId: row.clientId,
      scopes: row.scopes,
      expiresAt: row.expiresAt,
      revokedAt: row.revokedAt,
      tenantActive: row.status === 'active',
      rateLimit: tenantPolicyOf(row),
      quota: tenantQuotaOf(row),
    }
  }

  return {
    async verify(rawKey) {
      const shape = keyShapeOf(rawKey)
      if (shape === 'malformed' || (shape === 'legacy' && !deps.acceptLegacy)) {
        return { valid: false, reason: 'MALFORMED' }
      }
      // Keyed by a plain SHA-256 (a fraction of the HMAC's cost); it never leaves memory and cannot authenticate.
      const cacheKey = sha256Hex(rawKey)
      let key = cache.get(cacheKey)
      if (!key) {
        const generation = cache.generation
        key = await load(rawKey)
        if (!key) return { valid: false, reason: 'NOT_FOUND' }
        cache.set(cacheKey, key, generation)
      }
      const now = clock()
      const check = judge(key, now)
      if (check.valid) deps.onVerified?.(key.keyId, now)
      return check
    },
  }
}
