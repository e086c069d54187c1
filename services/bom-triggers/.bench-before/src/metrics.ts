import type { ServiceMetrics } from '@gatehouse/service-kit'
import type { LoggedRun } from './engine/chain.ts'
import type { WebhookWorkerOptions } from './webhooks/index.ts'

/** Issue 10: this service's own counters. Label values come from closed sets, never trigger or tenant ids. */

/** `bom_triggers_executions_total{action_type, outcome}`, outcome `success` or `failure`, as the log's `success`. */
export function countTriggerRuns(metrics: ServiceMetrics): (runs: readonly LoggedRun[]) => void {
  const executions = metrics.counter(
    'bom_triggers_executions_total',
    'Trigger runs written to the execution log, by action type and outcome (guard stops count as failures).',
    ['action_type', 'outcome'],
  )
  return (runs) => {
    for (const run of runs)
      executions.inc({ action_type: run.actionType, outcome: run.success ? 'success' : 'failure' })
  }
}

const ATTEMPT_OUTCOMES = { delivered: 'delivered', pending: 'failed_attempt', failed: 'given_up' } as const

/** `bom_triggers_webhook_deliveries_total{outcome}`: each attempt, `delivered`, `failed_attempt` or `given_up`. */
export function countWebhookAttempts(
  metrics: ServiceMetrics,
): NonNullable<WebhookWorkerOptions['onAttempt']> {
  const attempts = metrics.counter(
    'bom_triggers_webhook_deliveries_total',
    'Webhook delivery attempts, by outcome (failed_attempt: retried later; given_up: no attempt left, or 410).',
    ['outcome'],
  )
  return (status) => attempts.inc({ outcome: ATTEMPT_OUTCOMES[status] })
}
