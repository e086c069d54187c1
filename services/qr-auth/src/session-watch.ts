import type { SessionSnapshot } from './desktop-sessions.ts'

export interface WatchListener {
  /** The session as it is now; called on every change and every watch tick (the listener drops repeats). */
  update(snapshot: SessionSnapshot): void
  /** The watch is closing (the service shuts down). */
  end(): void
}

export interface SessionWatch {
  /** Returns the function that stops watching. */
  watch(sessionId: string, listener: WatchListener): () => void
  /** This process changed the session: its watchers hear of it now, not at the next tick. */
  changed(sessionId: string): void
  close(): void
}

/**
 * What keeps the desktops' event streams current. Changes made in this process reach them at once; changes
 * made by another replica, and expiry, at the next tick, when every watched session is re-read in one query.
 * The ticks run only while somebody watches.
 */
export function createSessionWatch(options: {
  read(ids: string[]): Promise<SessionSnapshot[]>
  intervalMs: number
  onError(error: unknown): void
}): SessionWatch {
  const listeners = new Map<string, Set<WatchListener>>()
  let timer: NodeJS.Timeout | undefined
  let reading = false

  const deliver = async (ids: string[]) => {
    try {
      for (const snapshot of await options.read(ids)) {
        for (const listener of listeners.get(snapshot.id) ?? []) listener.update(snapshot)
      }
    } catch (error) {
      options.onError(error)
    }
  }

  const tick = async () => {
    if (reading) return
    reading = true
    await deliver([...listeners.keys()])
    reading = false
  }

  const stopTicking = () => {
    clearInterval(timer)
    timer = undefined
  }

  return {
    watch(sessionId, listener) {
      const set = listeners.get(sessionId) ?? new Set()
      set.add(listener)
      listeners.set(sessionId, set)
      timer ??= setInterval(tick, options.intervalMs).unref()
      return () => {
        set.delete(listener)
        if (set.size === 0) listeners.delete(sessionId)
        if (listeners.size === 0) stopTicking()
      }
    },
    changed(sessionId) {
      if (listeners.has(sessionId)) void deliver([sessionId])
    },
    close() {
      stopTicking()
      const all = [...listeners.values()].flatMap((set) => [...set])
      listeners.clear()
      for (const listener of all) listener.end()
    },
  }
}
