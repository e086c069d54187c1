import type { FastifyBaseLogger } from 'fastify'

export interface BatcherStats {
  /** Items waiting to be written, a batch being written included. */
  buffered: number
  /** Items given up since start: refused by a full buffer, added after close, or (with retry) still unwritten when close gave up. */
  dropped: number
  /** Items written. */
  written: number
  /** Write calls that failed. */
  failedAttempts: number
}

export interface Batcher<T> {
  add(item: T): void
  /** Writes what is buffered now; tests and shutdown call it instead of waiting for the timer. */
  flush(): Promise<void>
  close(): Promise<void>
  stats(): BatcherStats
}

/** With retry, a failed batch stays at the head of the buffer and is written again after a backoff. */
export interface BatcherRetry {
  /** Delay after the first failure, doubled after each further one up to maxDelayMs; half of it is jitter. */
  baseDelayMs: number
  maxDelayMs: number
  /** How long close() keeps trying before it drops what is left (counted and logged). */
  closeTimeoutMs: number
  /** The jitter's source, [0, 1). */
  random?: () => number
}

/**
 * Buffers writes that must stay off the request path (last_used_at, token audit, usage events) and writes them in
 * one call every `intervalMs` or `maxItems`. Past `maxBuffered`, new items are dropped (counted, and logged at most
 * once per `dropLogIntervalMs`), so a slow writer cannot grow memory without bound. Without `retry` it is best
 * effort: a failed write is logged and its items dropped. With `retry` delivery is at-least-once while the buffer
 * holds (a write whose answer was lost is sent again: the writer must be idempotent).
 */
export function createBatcher<T>(options: {
  name: string
  write: (items: T[]) => Promise<void>
  log: FastifyBaseLogger
  intervalMs?: number
  maxItems?: number
  maxBuffered?: number
  retry?: BatcherRetry
  dropLogIntervalMs?: number
}): Batcher<T> {
  const maxItems = options.maxItems ?? 500
  const maxBuffered = options.maxBuffered ?? 50_000
  const intervalMs = options.intervalMs ?? 1_000
  const dropLogIntervalMs = options.dropLogIntervalMs ?? intervalMs
  const { retry } = options
  let buffer: T[] = []
  const stats = { dropped: 0, written: 0, failedAttempts: 0 }
  let droppedUnlogged = 0
  let lastDropLog = Number.NEGATIVE_INFINITY
  let draining: Promise<void> | undefined
  let closed = false
  let closeDeadline = Number.POSITIVE_INFINITY
  let wake: (() => void) | undefined

  const logDrops = (force: boolean) => {
    const now = Date.now()
    if (droppedUnlogged === 0 || (!force && now - lastDropLog < dropLogIntervalMs)) return
    options.log.warn(
      { batch: options.name, dropped: droppedUnlogged, droppedTotal: stats.dropped },
      'batch buffer full; items dropped',
    )
    droppedUnlogged = 0
    lastDropLog = now
  }

  const drop = (count: number) => {
    stats.dropped += count
    droppedUnlogged += count
    logDrops(false)
  }

  const failed = (items: number, error: unknown) => {
    stats.failedAttempts += 1
    options.log.warn(
      { batch: options.name, items, errorName: (error as Error).name, willRetry: retry !== undefined },
      'batch write failed',
    )
  }

  const bestEffort = async () => {
    while (buffer.length > 0) {
      const items = buffer.slice(0, maxItems)
      buffer = buffer.slice(items.length)
      try {
        await options.write(items)
        stats.written += items.length
      } catch (error) {
        failed(items.length, error)
      }
    }
  }

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms)
      timer.unref()
      wake = () => {
        clearTimeout(timer)
        resolve()
      }
    }).finally(() => {
      wake = undefined
    })

  const withRetry = async (settings: BatcherRetry) => {
    let failures = 0
    while (buffer.length > 0) {
      const items = buffer.slice(0, maxItems)
      try {
        await options.write(items)
        // Only this loop takes from the head, and add() only appends: the head is still these items.
        buffer = buffer.slice(items.length)
        stats.written += items.length
        failures = 0
      } catch (error) {
        failed(items.length, error)
        failures += 1
        const left = closeDeadline - Date.now()
        if (left <= 0) return
        const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (failures - 1))
        const delay = ceiling / 2 + ((settings.random ?? Math.random)() * ceiling) / 2
        await pause(Math.min(delay, left))
      }
    }
  }

  // One writer at a time; items added while it writes are picked up by the same loop.
  const flush = (): Promise<void> => {
    draining ??= (retry ? withRetry(retry) : bestEffort()).finally(() => {
      draining = undefined
    })
    return draining
  }

  const timer = setInterval(() => void flush(), intervalMs)
  timer.unref()

  return {
    add(item) {
      if (closed || buffer.length >= maxBuffered) {
        drop(1)
        return
      }
      buffer.push(item)
      if (buffer.length >= maxItems) void flush()
    },
    flush,
    async close() {
      clearInterval(timer)
      closed = true
      if (retry) {
        closeDeadline = Date.now() + retry.closeTimeoutMs
        // A writer waiting out a backoff tries once more now, then only until the deadline.
        wake?.()
      }
      await flush()
      if (buffer.length > 0) {
        const left = buffer.length
        buffer = []
        drop(left)
      }
      logDrops(true)
    },
    stats: () => ({ buffered: buffer.length, ...stats }),
  }
}
