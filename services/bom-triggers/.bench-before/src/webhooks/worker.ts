import type { Database } from '@gatehouse/db-kit'
import { attemptDelivery, createDeliveryAgent } from './delivery.ts'
import { type AttemptOutcome, claimDueMessages, recordAttempt } from './outbox.ts'
import { SVIX_RETRY_SCHEDULE_MS } from './schedule.ts'
import type { WebhookDelivery } from './schema.ts'
import { signWebhook } from './signing.ts'

export interface WebhookLog {
  info(details: object, message: string): void
  warn(details: object, message: string): void
}

export interface WebhookWorkerOptions {
  db: Database
  log: WebhookLog
  /** The signing secret (`whsec_...`) of a message's endpoint. */
  secretFor(message: { tenantId: string | null; endpointKey: string }): string
  /** Called once when an endpoint answers 410 Gone (the message is not retried). */
  onEndpointGone?(message: WebhookDelivery): Promise<void>
  /** Scheduling time and the signature timestamp; tests move it instead of waiting. */
  clock?: () => Date
  /** Delay before each attempt; its length is the number of attempts. Svix's by default. */
  schedule?: readonly number[]
  timeoutMs?: number
  allowPrivateNetworks?: boolean
  pollIntervalMs?: number
  batchSize?: number
  userAgent?: string
  /** After each recorded attempt: delivered, pending (to be retried) or failed (given up). For metrics. */
  onAttempt?(status: AttemptOutcome['status']): void
}

export interface RunSummary {
  attempted: number
  delivered: number
  failed: number
  retrying: number
}

export interface WebhookWorker {
  /** Polls for due messages every pollIntervalMs (retries, and anything a crashed process left). */
  start(): void
  /** After a commit that wrote messages: deliver soon, without waiting for the next poll. */
  kick(): void
  /** Attempts every message due now, once; resolves when done. */
  runOnce(): Promise<RunSummary>
  /** Stops polling and waits for the attempts in flight. */
  stop(): Promise<void>
}

export function createWebhookWorker(options: WebhookWorkerOptions): WebhookWorker {
  const clock = options.clock ?? (() => new Date())
  const schedule = options.schedule ?? SVIX_RETRY_SCHEDULE_MS
  const timeoutMs = options.timeoutMs ?? 15_000
  const allowPrivateNetworks = options.allowPrivateNetworks ?? false
  const batchSize = options.batchSize ?? 20
  // Long enough that a live worker's attempt always ends first; a crashed worker's messages come back after it.
  const leaseMs = timeoutMs + 30_000
  const agent = createDeliveryAgent({ allowPrivateNetworks, timeoutMs })
  let timer: NodeJS.Timeout | undefined
  let running: Promise<RunSummary> | undefined
  let again = false
  let stopped = false

  const outcomeOf = async (message: WebhookDelivery): Promise<AttemptOutcome> => {
    const now = clock()
    const headers = {
      'content-type': 'application/json',
      'user-agent': options.userAgent ?? 'Gatehouse-Webhooks/1',
      ...signWebhook(options.secretFor(message), {
        id: message.messageId,
        timestamp: now,
        body: message.body,
      }),
    }
    const result = await attemptDelivery({
      url: message.url,
      headers,
      body: message.body,
      agent,
      timeoutMs,
      allowPrivateNetworks,
    })
    if (result.kind === 'delivered') return { status: 'delivered', responseStatus: result.status }
    if (result.kind === 'gone') {
      await options.onEndpointGone?.(message)
      return {
        status: 'failed',
        responseStatus: result.status,
        error: 'endpoint answered 410 Gone: not retried',
      }
    }
    const nextDelay = schedule[message.attempts]
    if (result.permanent || nextDelay === undefined) {
      return {
        status: 'failed',
        error: result.error,
        ...(result.status ? { responseStatus: result.status } : {}),
      }
    }
    return {
      status: 'pending',
      error: result.error,
      nextAttemptAt: new Date(clock().getTime() + nextDelay),
      ...(result.status ? { responseStatus: result.status } : {}),
    }
  }

  const deliverOne = async (message: WebhookDelivery, summary: RunSummary) => {
    let outcome: AttemptOutcome
    try {
      outcome = await outcomeOf(message)
    } catch (error) {
      // The message stays leased and comes back after the lease: nothing is lost on an unexpected error.
      options.log.warn(
        { messageId: message.messageId, errorName: (error as Error).name },
        'webhook attempt failed',
      )
      return
    }
    await recordAttempt(options.db, message.id, outcome, clock())
    options.onAttempt?.(outcome.status)
    summary.attempted += 1
    if (outcome.status === 'delivered') summary.delivered += 1
    else if (outcome.status === 'failed') summary.failed += 1
    else summary.retrying += 1
    const level = outcome.status === 'delivered' ? 'info' : 'warn'
    options.log[level](
      {
        messageId: message.messageId,
        attempt: message.attempts,
        status: outcome.status,
        responseStatus: outcome.responseStatus,
        ...(outcome.status === 'delivered' ? {} : { error: outcome.error }),
      },
      'webhook attempt',
    )
  }

  const drain = async (): Promise<RunSummary> => {
    const summary: RunSummary = { attempted: 0, delivered: 0, failed: 0, retrying: 0 }
    for (;;) {
      const batch = await claimDueMessages(options.db, { now: clock(), leaseMs, limit: batchSize })
      if (batch.length === 0) return summary
      await Promise.all(batch.map((message) => deliverOne(message, summary)))
    }
  }

  const runOnce = (): Promise<RunSummary> => {
    if (running) {
      again = true
      return running
    }
    running = drain().finally(() => {
      running = undefined
      if (again && !stopped) {
        again = false
        void runOnce()
      }
    })
    return running
  }

  const runLogged = () =>
    void runOnce().catch((error: Error) =>
      options.log.warn({ errorName: error.name }, 'webhook delivery run failed'),
    )

  return {
    start() {
      if (timer || stopped) return
      timer = setInterval(runLogged, options.pollIntervalMs ?? 1_000)
      timer.unref()
    },
    kick() {
      if (timer && !stopped) setImmediate(runLogged)
    },
    runOnce,
    async stop() {
      stopped = true
      if (timer) clearInterval(timer)
      timer = undefined
      await running?.catch(() => undefined)
      await agent.close()
    },
  }
}
