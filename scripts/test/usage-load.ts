import { call } from './platform.ts'

/** What the gateway answered one request, as the client saw it. */
export interface Answer {
  status: number
  code?: string
  /** The gateway's x-request-id: the `requestId` property of the request's api.request event. */
  requestId: string
}

/**
 * The gateway's own refusals before forwarding (its rate limit, quota, load shedding, shutdown) are not usage.
 * Anything else a tenant request got, an upstream's error included, is one api.request event.
 */
const GATEWAY_REFUSALS = new Set([
  'TENANT_GATEWAY_RATE_LIMITED',
  'TENANT_GATEWAY_USAGE_EXCEEDED',
  'TENANT_GATEWAY_OVERLOADED',
  'TENANT_GATEWAY_SHUTTING_DOWN',
])

export const refusedByGateway = ({ code }: Pick<Answer, 'code'>) =>
  code !== undefined && GATEWAY_REFUSALS.has(code)

/** What the gateway answered, counted by status and code, for assertion messages. */
export function tally(answers: Answer[]): string {
  const counts: Record<string, number> = {}
  for (const { status, code } of answers) {
    const label = `${status} ${code ?? ''}`.trim()
    counts[label] = (counts[label] ?? 0) + 1
  }
  return JSON.stringify(counts)
}

export interface KeyedLoad {
  answers: Answer[]
  /** Requests sent so far. */
  sent(): number
  /** Sent and not answered (yet): in flight, or failed without an answer. */
  unanswered(): number
  /** Sends no further request; those in flight still complete. */
  stop(): void
  /** Resolves when `count` requests were answered or failed, or after stop() once the last one settled. */
  done: Promise<{ answers: Answer[]; failures: number }>
}

/**
 * `count` GETs of `path` with the API key, `concurrency` at a time. A request without an answer (the gateway
 * gone) fails the load unless `tolerateFailures`, in which case it is counted.
 */
export function keyedLoad(options: {
  gateway: string
  key: string
  path: string
  count: number
  concurrency: number
  onAnswer?: (answer: Answer) => void
  tolerateFailures?: boolean
}): KeyedLoad {
  const answers: Answer[] = []
  let sent = 0
  let failures = 0
  let stopped = false
  const worker = async () => {
    while (!stopped && sent < options.count) {
      sent += 1
      try {
        const { status, headers, body } = await call(options.gateway, 'GET', options.path, {
          headers: { 'x-api-key': options.key },
        })
        const answer = { status, code: body?.code, requestId: headers.get('x-request-id') ?? '' }
        answers.push(answer)
        options.onAnswer?.(answer)
      } catch (error) {
        if (!options.tolerateFailures) throw error
        failures += 1
      }
    }
  }
  const done = Promise.all(Array.from({ length: options.concurrency }, worker)).then(() => ({
    answers,
    failures,
  }))
  return {
    answers,
    sent: () => sent,
    unanswered: () => sent - answers.length,
    stop() {
      stopped = true
    },
    done,
  }
}
