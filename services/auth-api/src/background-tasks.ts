import type { FastifyBaseLogger } from 'fastify'

/**
 * Work done after the answer has gone: mail, and the whole of a password-reset request (so a known and an
 * unknown email answer in the same time). Failures are logged; close() waits for what is in flight.
 */
export interface BackgroundTasks {
  run(label: string, task: () => Promise<unknown>): void
  /** Resolves when every task started so far has settled (shutdown, and tests). */
  drain(): Promise<void>
}

export function createBackgroundTasks(log: FastifyBaseLogger): BackgroundTasks {
  const inFlight = new Set<Promise<unknown>>()
  return {
    run(label, task) {
      const running = Promise.resolve()
        .then(task)
        // Only the class and code: a driver error's message can hold SQL parameters (token hashes, emails).
        .catch((error: unknown) =>
          log.error({ task: label, ...errorSummary(error) }, 'background task failed'),
        )
        .finally(() => inFlight.delete(running))
      inFlight.add(running)
    },
    async drain() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight])
    },
  }
}

function errorSummary(error: unknown): { errorName?: string; code?: string } {
  if (!(error instanceof Error)) return {}
  const cause = (error as { cause?: { code?: unknown } }).cause
  const code = (error as { code?: unknown }).code ?? cause?.code
  return { errorName: error.name, ...(typeof code === 'string' ? { code } : {}) }
}
