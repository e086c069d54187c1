import type { Clock } from '@gatehouse/service-kit'

interface Entry<V> {
  value: V
  freshUntilMs: number
}

/**
 * A small TTL cache for verified keys and memberships, keyed by something that is not a secret (a key's SHA-256,
 * `user:tenant`). Entries are dropped per tenant on invalidation; a read that started before an invalidation
 * cannot re-insert what it read (generation check), so a revoked key is never cached again by a racing request.
 */
export class TenantScopedCache<V extends { clientId: string }> {
  readonly #entries = new Map<string, Entry<V>>()
  #generation = 0

  constructor(
    private readonly ttlMs: number,
    private readonly clock: Clock,
    private readonly maxEntries = 10_000,
  ) {}

  get generation(): number {
    return this.#generation
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key)
    if (!entry) return undefined
    if (entry.freshUntilMs <= this.clock().getTime()) {
      this.#entries.delete(key)
      return undefined
    }
    return entry.value
  }

  /** `readGeneration` is `generation` taken before the database read that produced `value`. */
  set(key: string, value: V, readGeneration: number): void {
    if (this.ttlMs === 0 || readGeneration !== this.#generation) return
    if (this.#entries.size >= this.maxEntries && !this.#entries.has(key)) {
      const oldest = this.#entries.keys().next()
      if (!oldest.done) this.#entries.delete(oldest.value)
    }
    this.#entries.set(key, { value, freshUntilMs: this.clock().getTime() + this.ttlMs })
  }

  invalidateTenant(clientId: string): void {
    this.#generation += 1
    for (const [key, entry] of this.#entries) {
      if (entry.value.clientId === clientId) this.#entries.delete(key)
    }
  }

  get size(): number {
    return this.#entries.size
  }
}
