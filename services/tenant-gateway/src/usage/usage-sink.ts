/**
 * One event per proxied request that carried a tenant identity: what metering bills. The next issue adds an
 * HTTP sink that batches these to METERING_URL; `id` is its idempotency key.
 */
export interface UsageEvent {
  id: string
  occurredAt: Date
  tenantId: string
  keyId?: string
  userId?: string
  upstream: string
  method: string
  /** Route path without the query string (which may carry tokens). */
  path: string
  status: number
  durationMs: number
  requestId: string
}

/** Called on the request path: must not block or throw; sending happens elsewhere. */
export interface UsageSink {
  record(event: UsageEvent): void
  close?(): Promise<void>
}

/** The default until metering is wired: usage is dropped. */
export const discardUsage: UsageSink = { record() {} }

/** Keeps events in memory, for tests and local inspection. */
export class MemoryUsageSink implements UsageSink {
  readonly events: UsageEvent[] = []
  record(event: UsageEvent): void {
    this.events.push(event)
  }
}
