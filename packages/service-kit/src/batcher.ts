import type { FastifyBaseLogger } from 'fastify'

export interface Batcher<T> {
  add(item: T): void
  /** Writes what is buffered now; tests and shutdown call it instead of waiting for the timer. */
  flush(): Promise<void>
  close(): Promise<void>
}

/**
 * Buffers writes that must stay off the request path (last_used_at, token audit) and writes them in one statement
 * every `intervalMs` or `maxItems`. Best effort: a failed write is logged and dropped, and past `maxBuffered`
 * new items are dropped, so a slow database cannot grow memory without bound.
 */
export function createBatcher<T>(options: {
  name: string
  write: (items: T[]) => Promise<void>
  log: FastifyBaseLogger
  intervalMs?: number
  maxItems?: number
  maxBuffered?: number
}): Batcher<T> {
  const maxItems = options.maxItems ?? 500
  const maxBuffered = options.maxBuffered ?? 50_000
  let buffer: T[] = []
  let dropped = 0
  let draining: Promise<void> | undefined

  const drain = async () => {
    while (buffer.length > 0) {
      const items = buffer.slice(0, maxItems)
      buffer = buffer.slice(items.length)
      try {
        await options.write(items)
      } catch (error) {
        options.log.warn(
          { batch: options.name, items: items.length, errorName: (error as Error).name },
          'batch write failed',
        )
      }
    }
    if (dropped > 0) {
      options.log.warn({ batch: options.name, dropped }, 'batch buffer full; items dropped')
      dropped = 0
    }
  }

  // One writer at a time; items added while it writes are picked up by the same loop.
  const flush = (): Promise<void> => {
    draining ??= drain().finally(() => {
      draining = undefined
    })
    return draining
  }

  const timer = setInterval(() => void flush(), options.intervalMs ?? 1_000)
  timer.unref()

  return {
    add(item) {
      if (buffer.length >= maxBuffered) {
        dropped += 1
        return
      }
      buffer.push(item)
      if (buffer.length >= maxItems) void flush()
    },
    flush,
    async close() {
      clearInterval(timer)
      await flush()
    },
  }
}
