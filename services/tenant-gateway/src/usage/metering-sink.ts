import { createBatcher, SERVICE_TOKEN_HEADER, signServiceToken } from '@gatehouse/service-kit'
import type { FastifyBaseLogger } from 'fastify'
import { Pool } from 'undici'
import type { MeteringLane } from './metering-lane.ts'
import type { UsageEvent, UsageSink } from './usage-sink.ts'

export interface MeteringSinkOptions {
  /** METERING_URL: metering's own port; batches go to its /internal/usage-events. */
  url: string
  /** Signs the service token (issuer tenant-gateway, audience metering). */
  internalSecret: string
  log: FastifyBaseLogger
  /** Events held while metering is slow or down; past it new events are dropped, counted and logged. */
  maxBuffered?: number
  /** Events per request (metering takes up to 5,000). */
  batchSize?: number
  /** A batch leaves at least this often, full or not. */
  intervalMs?: number
  requestTimeoutMs?: number
  retryBaseDelayMs?: number
  retryMaxDelayMs?: number
  /** How long close() keeps trying to deliver what is buffered. */
  closeTimeoutMs?: number
  /** At most one warning per this interval about dropped events. */
  dropLogIntervalMs?: number
  /** The backoff jitter's source, [0, 1). */
  random?: () => number
  /** Events metering has answered for (stored, duplicate or refused for good): the quota tracker's cue. */
  onSettled?: (events: readonly { tenantId: string; occurredAt: string }[]) => void
  /** Shared with the quota tracker: a batch is never in flight while it asks for month-to-date figures. */
  lane?: MeteringLane
}

export interface MeteringSinkStats {
  /** Waiting for metering, a batch in flight included. */
  buffered: number
  /** Given up: past the buffer bound, unreadable, or still unsent when close() gave up. */
  dropped: number
  /** Acknowledged by metering (stored now or before: a resent batch is not counted twice there). */
  sent: number
  /** Requests to metering that failed and will be retried. */
  failedAttempts: number
  /** Refused by metering for good (an event it will never accept, e.g. older than 35 days). */
  rejected: number
}

/** For /ready and the metrics endpoint. */
export interface MeteringSink extends UsageSink {
  close(): Promise<void>
  flush(): Promise<void>
  stats(): MeteringSinkStats
}

/** What metering's /internal/usage-events takes. */
interface MeteringEvent {
  tenantId: string
  keyId?: string
  metric: 'api.request'
  quantity: '1'
  idempotencyKey: string
  occurredAt: string
  properties: Record<string, string | number>
}

/** metering refuses a batch it could never take (malformed); anything else is worth another try. */
const PERMANENT_STATUSES = new Set([400, 413, 415, 422])
/** metering caps properties at 4 KiB; a path is cut well before that. */
const MAX_PATH_CHARS = 512

/**
 * The gateway's usage stream: batches of `api.request` events to metering, off the request path. record() only
 * appends to a bounded buffer (service-kit's batcher); failed batches are retried with exponential backoff and
 * jitter and resent whole, so delivery is at-least-once and metering's idempotency key (the event id) keeps a
 * resent event from counting twice.
 */
export function createMeteringSink(options: MeteringSinkOptions): MeteringSink {
  const timeoutMs = options.requestTimeoutMs ?? 5_000
  const pool = new Pool(options.url, { connections: 2, connect: { timeout: timeoutMs } })
  const counts = { sent: 0, rejected: 0, unreadable: 0 }
  let lastUnreadableLog = Number.NEGATIVE_INFINITY
  let closing: Promise<void> | undefined

  const send = (events: MeteringEvent[]) =>
    options.lane ? options.lane.run(() => post(events)) : post(events)

  const post = async (events: MeteringEvent[]) => {
    const token = await signServiceToken(options.internalSecret, {
      issuer: 'tenant-gateway',
      audience: 'metering',
    })
    const response = await pool.request({
      path: '/internal/usage-events',
      method: 'POST',
      headers: { 'content-type': 'application/json', [SERVICE_TOKEN_HEADER]: token },
      body: JSON.stringify({ events }),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    })
    const text = await response.body.text()
    if (response.statusCode === 200) {
      const answer = JSON.parse(text) as { rejected: { index: number; reason: string }[] }
      counts.rejected += answer.rejected.length
      counts.sent += events.length - answer.rejected.length
      if (answer.rejected.length > 0) {
        const reasons = [...new Set(answer.rejected.map((event) => event.reason))]
        options.log.warn({ rejected: answer.rejected.length, reasons }, 'metering refused usage events')
      }
      options.onSettled?.(events)
      return
    }
    if (PERMANENT_STATUSES.has(response.statusCode)) {
      counts.rejected += events.length
      options.log.error(
        { status: response.statusCode, events: events.length },
        'metering refused a usage batch',
      )
      options.onSettled?.(events)
      return
    }
    throw new MeteringUnavailable(response.statusCode)
  }

  const batcher = createBatcher<MeteringEvent>({
    name: 'metering usage events',
    log: options.log,
    write: send,
    intervalMs: options.intervalMs ?? 1_000,
    maxItems: options.batchSize ?? 1_000,
    maxBuffered: options.maxBuffered ?? 100_000,
    dropLogIntervalMs: options.dropLogIntervalMs ?? 10_000,
    retry: {
      baseDelayMs: options.retryBaseDelayMs ?? 250,
      maxDelayMs: options.retryMaxDelayMs ?? 30_000,
      closeTimeoutMs: options.closeTimeoutMs ?? 10_000,
      ...(options.random ? { random: options.random } : {}),
    },
  })

  return {
    record(event) {
      try {
        batcher.add(meteringEvent(event))
      } catch {
        // An event that cannot be written (an invalid date) is counted, never thrown at the request.
        counts.unreadable += 1
        const now = Date.now()
        if (now - lastUnreadableLog >= (options.dropLogIntervalMs ?? 10_000)) {
          lastUnreadableLog = now
          options.log.warn({ unreadable: counts.unreadable }, 'usage event could not be recorded')
        }
      }
    },
    flush: () => batcher.flush(),
    close() {
      closing ??= batcher.close().then(() => pool.close())
      return closing
    },
    stats() {
      const { buffered, dropped, failedAttempts } = batcher.stats()
      return {
        buffered,
        dropped: dropped + counts.unreadable,
        sent: counts.sent,
        failedAttempts,
        rejected: counts.rejected,
      }
    },
  }
}

function meteringEvent(event: UsageEvent): MeteringEvent {
  return {
    tenantId: event.tenantId,
    ...(event.keyId ? { keyId: event.keyId } : {}),
    metric: 'api.request',
    quantity: '1',
    idempotencyKey: event.id,
    occurredAt: event.occurredAt.toISOString(),
    properties: {
      upstream: event.upstream,
      method: event.method,
      path: event.path.slice(0, MAX_PATH_CHARS),
      status: event.status,
      durationMs: event.durationMs,
      requestId: event.requestId,
      ...(event.userId ? { userId: event.userId } : {}),
    },
  }
}

class MeteringUnavailable extends Error {
  constructor(readonly status: number) {
    super(`metering answered ${status}`)
    this.name = 'MeteringUnavailable'
  }
}
